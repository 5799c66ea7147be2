# YOLO with a ResNet-18 backbone (channel_sparsity 0.75), SPP + PAN neck, 3-scale anchor head.
num_classes = 20
channel_sparsity = 0.75
focal_gamma = 3.5
# COCO anchors (w, h in network-input pixels), small to large scale
anchors = [[(10, 13), (16, 30), (33, 23)],
           [(30, 61), (62, 45), (59, 119)],
           [(116, 90), (156, 198), (373, 326)]]

model = dict(
    type='YOLODetector',
    data_preprocessor=dict(
        type='YOLODataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
        # NHWC batches and conv weights: same values and checkpoints, faster with oneDNN
        # on CPUs (train step ~1.2x, inference ~1.3x) and with AMP on GPUs
        channels_last=True),
    backbone=dict(
        type='ResNet', depth=18, channel_sparsity=channel_sparsity,
        # a local torchvision checkpoint (e.g. resnet18-f37072fd.pth), sliced to the width
        pretrained=None),
    neck=dict(type='YOLOSPPPAN'),
    bbox_head=dict(
        type='YOLOHead',
        num_classes=num_classes,
        anchors=anchors,
        strides=(8, 16, 32),
        assigner=dict(type='NearbyGridAssigner', match_iou_thres=0.0625, filter_by_max_iou=True),
        # raw outputs -> boxes: the original's nearby-grid decoding (centre 1.5 * tanh + 0.5
        # cells, reach [-1, 2)), sizes (2 * sigmoid) ** 2 * anchor; it must reach where the
        # assigner puts positives (checked when the head is built)
        bbox_coder=dict(type='YOLOBBoxCoder', centre_reach=(-1.0, 2.0), squash='tanh',
                        wh_decode='sigmoid_square'),
        assign_conf_method='iou',
        loss_obj=dict(type='FocalLoss', gamma=focal_gamma),
        loss_cls=dict(type='FocalLoss', gamma=focal_gamma),
        loss_bbox=dict(type='IoULoss', mode='ciou'),
        lambda_obj=1.0,
        lambda_coord=0.1,
        lambda_cls=1.0,
        lambda_noobj=0.5,
        lambda_scales=(1.0, 1.0, 1.0),
        use_noobj_loss=False,
        # max_per_img=300 reproduces the original's table ("max_nms_num 300")
        test_cfg=dict(score_thr=0.001, nms_iou_thr=0.6, max_per_img=300, nms_pre=3000,
                      multi_label=False)))
