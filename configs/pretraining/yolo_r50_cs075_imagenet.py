# Pretraining table: ResNet-50 x0.75, ImageNet-pretrained. torchvision's checkpoint must be on
# disk (nothing is downloaded): put resnet50-0676ba61.pth under checkpoints/ or pass
# --cfg-options model.backbone.pretrained=PATH. Its weights are sliced to the width.
_base_ = '../yolo_r18_nearby.py'
model = dict(backbone=dict(depth=50, channel_sparsity=0.75,
                           pretrained='checkpoints/resnet50-0676ba61.pth'))
