# The control of caev2_vit-mini-p4_mbv2-in1k-teacher_1xb128-5e_fashion-mnist-28px.py: the same MobileNetV2 teacher
# (same stage, grid and view) at torchvision's random initialisation, frozen. Everything else is identical, so the
# difference between the two isolates what the teacher's ImageNet pre-training brings.
_base_ = './caev2_vit-mini-p4_mbv2-in1k-teacher_1xb128-5e_fashion-mnist-28px.py'

model = dict(target_generator=dict(weights=None))
