"""Drawing label assignment: which anchors at which cells each GT box supervises.

One panel per scale, side by side, each showing the network input with

- the grid of that scale (thin white lines, one cell = ``stride`` pixels),
- every GT box (solid, one colour per GT) with its index, class and centre dot,
- the cells assigned to each GT filled in the GT's colour, with one marker per assigned
  anchor inside the cell (marker shape = anchor index, see the legend under the panel),
- the outline of every assigned anchor (dashed, w x h of the anchor) centred on its
  assigned cell nearest the GT centre (``anchor_outlines='nearest'``), on every assigned
  cell (``'all'``), or not at all (``'none'``).

It draws results, it does not assign: they come from ``head.assign``, the path of the
loss, through ``yolo_toolbox.analysis.assign_scales`` (the browse_assignment tool) or a
hook registered with ``head.register_assign_hook`` during training (one image's rows:
``yolo_toolbox.analysis.result_for_image``).
"""
from collections.abc import Sequence
from typing import Optional

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

ANCHOR_MARKERS = ('o', 's', '^', 'D', 'v', 'P', 'X', '*', 'h')
_DPI = 100
_HEADER_PX, _TITLE_PX, _FOOTER_PX = 28, 22, 30
_TAB10 = ('#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
          '#7f7f7f', '#bcbd22', '#17becf')


def gt_colours(num_gts: int) -> list[tuple[int, int, int]]:
    """RGB (0-255) colour of each GT: matplotlib's tab10, repeated."""
    return [tuple(int(_TAB10[i % 10][k:k + 2], 16) for k in (1, 3, 5)) for i in range(num_gts)]


def draw_assignment(image_rgb: np.ndarray, gt_boxes_xyxy: np.ndarray, gt_labels: np.ndarray,
                    result_per_scale: Sequence, anchors: np.ndarray, strides: Sequence[int],
                    class_names: Sequence[str] = (), title: str = '', panel_px: int = 512,
                    anchor_outlines: str = 'nearest') -> np.ndarray:
    """Draw the positives of one image at every scale, panels side by side.

    Args:
        image_rgb: (H, W, 3) uint8 network input (padded as the model sees it).
        gt_boxes_xyxy: (n, 4) GT boxes x1, y1, x2, y2 in network-input pixels.
        gt_labels: (n,) class indices.
        result_per_scale: per scale a GridAssignResult (or a tuple of tensors / arrays
            ``(batch_idx, anchor_idx, grid_y, grid_x, gt_idx)``) of this image only,
            ``gt_idx`` indexing ``gt_boxes_xyxy``.
        anchors: (S, A, 2) anchor w, h in input pixels.
        strides: (S,) pixels per cell.
        class_names: names of the labels (index shown where missing).
        title: text above the panels (e.g. assigner and image id).
        panel_px: longer side of each panel in output pixels.
        anchor_outlines: 'nearest', 'all' or 'none' (see the module docstring).

    Returns:
        (H_out, W_out, 3) uint8 RGB with W_out = S * round(W * zoom) and
        H_out = round(H * zoom) + 80, zoom = panel_px / max(H, W).
    """
    if anchor_outlines not in ('nearest', 'all', 'none'):
        raise ValueError(f"anchor_outlines must be 'nearest', 'all' or 'none', "
                         f'got {anchor_outlines!r}')
    height, width = image_rgb.shape[:2]
    zoom = panel_px / max(height, width)
    panel_w, panel_h = round(width * zoom), round(height * zoom)
    num_scales = len(strides)
    fig_w, fig_h = num_scales * panel_w, _HEADER_PX + _TITLE_PX + panel_h + _FOOTER_PX
    fig = Figure(figsize=(fig_w / _DPI, fig_h / _DPI), dpi=_DPI, facecolor='white')
    canvas = FigureCanvasAgg(fig)
    fig.text(0.5, 1 - _HEADER_PX / 2 / fig_h, title, ha='center', va='center', fontsize=11)
    gt_boxes_xyxy = np.asarray(gt_boxes_xyxy, dtype=float).reshape(-1, 4)
    gt_labels = np.asarray(gt_labels).reshape(-1).astype(int)
    colours = [tuple(c / 255 for c in rgb) for rgb in gt_colours(len(gt_boxes_xyxy))]
    anchors = np.asarray(anchors, dtype=float)
    for level, stride in enumerate(strides):
        ax = fig.add_axes((level * panel_w / fig_w, _FOOTER_PX / fig_h, panel_w / fig_w,
                           panel_h / fig_h))
        rows = _as_numpy(result_per_scale[level])
        _draw_panel(ax, image_rgb, stride, rows, anchors[level], gt_boxes_xyxy, gt_labels,
                    colours, class_names, zoom, anchor_outlines)
        grid_h, grid_w = -(-height // stride), -(-width // stride)
        assigned = len(np.unique(rows[4])) if len(rows[4]) else 0
        ax.set_title(f'stride {stride} ({grid_h}x{grid_w}): {len(rows[4])} positives, '
                     f'{assigned}/{len(gt_boxes_xyxy)} GTs', fontsize=9, pad=4)
        handles = [Line2D([], [], ls='', marker=ANCHOR_MARKERS[a % len(ANCHOR_MARKERS)],
                          mfc='white', mec='black', label=f'a{a} {w:.0f}x{h:.0f}')
                   for a, (w, h) in enumerate(anchors[level])]
        ax.legend(handles=handles, loc='upper center', bbox_to_anchor=(0.5, 0.0),
                  ncol=len(handles), frameon=False, fontsize=8, handletextpad=0.2,
                  columnspacing=0.8, borderaxespad=0.2)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def _as_numpy(result) -> list[np.ndarray]:
    """A result (tensors or arrays) -> [batch_idx, anchor_idx, grid_y, grid_x, gt_idx]."""
    return [np.asarray(t.cpu() if hasattr(t, 'cpu') else t).reshape(-1).astype(int)
            for t in tuple(result)[:5]]


def _draw_panel(ax, image_rgb: np.ndarray, stride: int, rows: list, anchors: np.ndarray,
                gt_boxes: np.ndarray, gt_labels: np.ndarray, colours: list,
                class_names: Sequence[str], zoom: float, anchor_outlines: str) -> None:
    """One scale: image, grid, assigned cells, anchor markers and outlines, GT boxes."""
    height, width = image_rgb.shape[:2]
    ax.imshow(image_rgb, extent=(0, width, height, 0), interpolation='nearest')
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    xs, ys = np.arange(0, width + 1, stride), np.arange(0, height + 1, stride)
    grid = [[(x, 0), (x, height)] for x in xs] + [[(0, y), (width, y)] for y in ys]
    ax.add_collection(LineCollection(grid, colors='white', linewidths=0.5, alpha=0.45))

    _, anchor_idx, grid_y, grid_x, gt_idx = rows
    cells = np.unique(np.stack([gt_idx, grid_y, grid_x], axis=1), axis=0)
    ax.add_collection(PatchCollection(
        [Rectangle((x * stride, y * stride), stride, stride) for _, y, x in cells],
        facecolors=[colours[g] for g, _, _ in cells], edgecolors='none', alpha=0.4))

    num_anchors = len(anchors)
    cell_pt = stride * zoom * 72 / _DPI  # one cell in points
    marker_size = max(2.0, min(9.0, 0.8 * cell_pt / max(num_anchors, 1))) ** 2
    for a in range(num_anchors):
        sel = anchor_idx == a
        if not sel.any():
            continue
        ax.scatter((grid_x[sel] + (a + 1) / (num_anchors + 1)) * stride,
                   (grid_y[sel] + 0.5) * stride, s=marker_size,
                   marker=ANCHOR_MARKERS[a % len(ANCHOR_MARKERS)],
                   c=[colours[g] for g in gt_idx[sel]], edgecolors='black', linewidths=0.4,
                   zorder=3)

    if anchor_outlines != 'none' and len(gt_idx):
        centres = (gt_boxes[:, :2] + gt_boxes[:, 2:]) / 2
        cell_centres = (np.stack([grid_x, grid_y], axis=1) + 0.5) * stride
        order = np.arange(len(gt_idx))
        if anchor_outlines == 'nearest':  # per (GT, anchor) the assigned cell nearest the GT
            dist = ((cell_centres - centres[gt_idx]) ** 2).sum(1)
            order = np.lexsort((dist, anchor_idx, gt_idx))
            key = gt_idx[order] * num_anchors + anchor_idx[order]
            order = order[np.r_[True, key[1:] != key[:-1]]]
        for i in order:
            (cx, cy), (w, h) = cell_centres[i], anchors[anchor_idx[i]]
            ax.add_patch(Rectangle((cx - w / 2, cy - h / 2), w, h, fill=False, ls='--',
                                   lw=1.0, ec=colours[gt_idx[i]], zorder=4))

    for g, ((x1, y1, x2, y2), label) in enumerate(zip(gt_boxes, gt_labels)):
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=2.0,
                               ec=colours[g], zorder=5))
        ax.scatter([(x1 + x2) / 2], [(y1 + y2) / 2], s=30, c=[colours[g]], edgecolors='white',
                   linewidths=1.0, zorder=6)
        name = class_names[label] if 0 <= label < len(class_names) else str(label)
        ax.text(x1 + 1, y1 - 1, f'{g}: {name}', fontsize=7, color='white', va='bottom',
                zorder=7, clip_on=True,
                bbox=dict(facecolor=colours[g], edgecolor='none', pad=1.0, alpha=0.9))


def save_rgb(image_rgb: np.ndarray, path: str) -> None:
    """Write an RGB uint8 image (PNG/JPG by extension), creating the folder."""
    import mmcv
    mmcv.imwrite(np.ascontiguousarray(image_rgb[..., ::-1]), path)


def assignment_title(assigner_name: str, img_meta: Optional[dict] = None) -> str:
    """'NearbyGridAssigner - 000012 (256x256 input)' for the panel header."""
    meta = img_meta or {}
    parts = [assigner_name]
    if 'img_id' in meta:
        parts.append(str(meta['img_id']))
    text = ' - '.join(parts)
    if 'img_shape' in meta:
        text += f" ({meta['img_shape'][1]}x{meta['img_shape'][0]} input)"
    return text
