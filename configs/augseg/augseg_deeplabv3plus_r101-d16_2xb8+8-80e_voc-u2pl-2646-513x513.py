_base_ = './augseg_deeplabv3plus_r101-d16_2xb8+8-80e_voc-blended-2646-513x513.py'
# U2PL's blended list of 2,646 labelled images (pascal_u2pl/2646 of the AugSeg release; labels drawn from the fine
# set first): the same sizes and schedule as the blended list, results not comparable with it (docs/augseg.md, §6).
split = 'splits/voc_u2pl/2646'
train_dataloader = dict(dataset=dict(datasets=[dict(_base_.labeled, ann_file=f'{split}/labeled.txt'),
                                               dict(_base_.unlabeled, ann_file=f'{split}/unlabeled.txt')]))
