# Pretraining table: ResNet-18 x1.0, ImageNet-pretrained. torchvision's checkpoint must be on
# disk (nothing is downloaded): put resnet18-f37072fd.pth under checkpoints/ or pass
# --cfg-options model.backbone.pretrained=PATH. Its weights are sliced to the width.
_base_ = '../yolo_r18_nearby.py'
model = dict(backbone=dict(depth=18, channel_sparsity=1.0,
                           pretrained='checkpoints/resnet18-f37072fd.pth'))
