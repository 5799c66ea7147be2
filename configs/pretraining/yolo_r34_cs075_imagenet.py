# Pretraining table: ResNet-34 x0.75, ImageNet-pretrained. torchvision's checkpoint must be on
# disk (nothing is downloaded): put resnet34-b627a593.pth under checkpoints/ or pass
# --cfg-options model.backbone.pretrained=PATH. Its weights are sliced to the width.
_base_ = '../yolo_r18_nearby.py'
model = dict(backbone=dict(depth=34, channel_sparsity=0.75,
                           pretrained='checkpoints/resnet34-b627a593.pth'))
