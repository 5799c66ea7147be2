#!/usr/bin/env bash
# The whole comparison for both held-out sets, one training at a time (wall-clock numbers
# need an otherwise idle machine): data layout, Ultralytics' YOLOv8n (its venv), its
# per-epoch predictions, our YOLOv8-n config, our nearby-grid model, the table and curves.
# From the repository root:
#   bash projects/ultralytics_comparison/run_comparison.sh                  # 40 epochs, all images
#   EPOCHS=2 NUM_IMAGES=20 OUT=work_dirs/ultra22_smoke \
#       bash projects/ultralytics_comparison/run_comparison.sh              # smoke test
# Environment: EPOCHS (40), NUM_IMAGES (empty: all; else the first N train and N val ids),
# OUT (work_dirs/ultra22), SETS ("glyphs outlines"), DATA (/work/main/data: holds
# heldout_<set>/), PY (the project's python; .venv/bin/python), ULTRA_PY
# (/work/venv_ultra/bin/python, made by setup_venv.sh), NEARBY (1: also train the
# nearby-grid model), OMP_NUM_THREADS (1).
# EPOCHS other than 40 is for smoke tests only: Ultralytics rescales its schedule to the
# epochs, our configs' LR schedule and mosaic close are written for 40.
set -euo pipefail
cd "$(dirname "$0")/../.."
EPOCHS=${EPOCHS:-40}
NUM_IMAGES=${NUM_IMAGES:-}
OUT=${OUT:-work_dirs/ultra22}
SETS=${SETS:-glyphs outlines}
DATA=${DATA:-/work/main/data}
PY=${PY:-.venv/bin/python}
ULTRA_PY=${ULTRA_PY:-/work/venv_ultra/bin/python}
NEARBY=${NEARBY:-1}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
D=projects/ultralytics_comparison
SUBSET=()
if [ -n "$NUM_IMAGES" ]; then SUBSET=(--num-train "$NUM_IMAGES" --num-val "$NUM_IMAGES"); fi
"$ULTRA_PY" -c "import ultralytics" || { echo "no ultralytics in $ULTRA_PY: run $D/setup_venv.sh" >&2; exit 1; }
for SET in $SETS; do
    W=$OUT/$SET
    case $SET in
        glyphs) CLASSES="A H S 4 X" ;;
        outlines) CLASSES="ring cross arrow checker crescent" ;;
        *) echo "unknown set $SET" >&2; exit 1 ;;
    esac
    ROOT=(train_dataloader.dataset.data_root=$W/data/voc/ val_dataloader.dataset.data_root=$W/data/voc/
          test_dataloader.dataset.data_root=$W/data/voc/ train_cfg.max_epochs=$EPOCHS)
    mkdir -p "$W"
    echo "== $SET: data"
    "$PY" $D/prepare_data.py "$DATA/heldout_$SET" "$W/data" --classes $CLASSES "${SUBSET[@]}"
    echo "== $SET: Ultralytics YOLOv8n, $EPOCHS epochs (log $W/ultralytics.log)"
    "$ULTRA_PY" $D/train_ultralytics.py "$W/data/yolo/data.yaml" "$W/ultralytics" \
        --epochs "$EPOCHS" --imgsz 256 --seed 0 --workers 2 > "$W/ultralytics.log" 2>&1
    tail -n 1 "$W/ultralytics.log"
    echo "== $SET: Ultralytics' predictions"
    "$ULTRA_PY" $D/predict_ultralytics.py "$W/ultralytics/train" "$W/data/voc/VOC2007" \
        "$W/ultralytics_dets" --imgsz 256 --check-val "$W/data/yolo/data.yaml" \
        > "$W/ultralytics_predict.log" 2>&1
    grep -E "^epoch $EPOCHS:|own val" "$W/ultralytics_predict.log" || true
    echo "== $SET: ours, YOLOv8-n config (log $W/ours.log)"
    "$PY" tools/train.py $D/configs/yolov8_n_256_$SET.py --work-dir "$W/ours" \
        --cfg-options "${ROOT[@]}" > "$W/ours.log" 2>&1
    { grep "Epoch(val) \[$EPOCHS\]" "$W/ours.log" || true; } | tail -n 1 | cut -c1-120
    NEARBY_ARG=()
    if [ "$NEARBY" = 1 ]; then
        echo "== $SET: ours, nearby grid (log $W/nearby.log)"
        "$PY" tools/train.py $D/configs/nearby_grid_$SET.py --work-dir "$W/nearby" \
            --cfg-options "${ROOT[@]}" > "$W/nearby.log" 2>&1
        NEARBY_ARG=(--nearby "$W/nearby")
    fi
    echo "== $SET: comparison"
    "$PY" $D/compare.py --name "$SET" --voc-root "$W/data/voc" --classes $CLASSES \
        --ultra-run "$W/ultralytics/train" --ultra-dets "$W/ultralytics_dets" --ours "$W/ours" \
        "${NEARBY_ARG[@]}" --epochs "$EPOCHS" --out "$W/compare" 2>&1 | tee "$W/compare.log"
done
"$PY" $D/compare.py --plot "$OUT"/*/compare.json --out "$OUT/curves"
cat "$OUT"/*/compare.md
