"""A stock mmseg / mmpretrain config plus the host's mmext entry in ``custom_imports`` (``mmext.seg`` /
``mmext.pretrain``) trains with mmext's tool and with the host library's own tools/train.py, pointed at the embedded
data through --cfg-options only."""
import importlib.util
import os.path as osp
import subprocess
import sys

import pytest

STOCK = {
    'mmseg': dict(
        entry='mmext.seg',
        base='mmseg::fcn/fcn_r18-d8_4xb2-80k_cityscapes-512x1024.py',
        options=[
            'model.pretrained=None', 'norm_cfg.type=BN', 'model.backbone.norm_cfg.type=BN',
            'model.decode_head.norm_cfg.type=BN', 'model.auxiliary_head.norm_cfg.type=BN',
            'model.decode_head.num_classes=6', 'model.auxiliary_head.num_classes=6',
            'model.data_preprocessor.size=(64,64)', 'train_dataloader.dataset.type=SyntheticShapesDataset',
            'train_dataloader.dataset.data_root={data}',
            'train_dataloader.dataset.data_prefix.img_path=img_dir/train',
            'train_dataloader.dataset.data_prefix.seg_map_path=ann_dir/train',
            'train_dataloader.dataset.pipeline.2.scale=(64,64)',
            'train_dataloader.dataset.pipeline.3.crop_size=(64,64)',
            'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
            'val_dataloader.dataset.type=SyntheticShapesDataset', 'val_dataloader.dataset.data_root={data}',
            'val_dataloader.dataset.split=val', 'val_dataloader.dataset.num_samples=4',
            'val_dataloader.dataset.data_prefix.img_path=img_dir/val',
            'val_dataloader.dataset.data_prefix.seg_map_path=ann_dir/val',
            'val_dataloader.dataset.pipeline.1.scale=(64,64)', 'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False', 'default_hooks.logger.interval=1'
        ],
        metric='mIoU'),
    'mmpretrain': dict(
        entry='mmext.pretrain',
        base='mmpretrain::resnet/resnet18_8xb32_in1k.py',
        options=[
            'model.head.num_classes=10', 'data_preprocessor.num_classes=10',
            'train_dataloader.dataset.type=SyntheticShapesClassification', 'train_dataloader.dataset.data_root={data}',
            'train_dataloader.dataset.num_samples=10', 'train_dataloader.batch_size=5',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'train_dataloader.dataset.pipeline.1.scale=64', 'val_dataloader.persistent_workers=False',
            'val_dataloader.dataset.type=SyntheticShapesClassification', 'val_dataloader.dataset.data_root={data}',
            'val_dataloader.dataset.num_samples=10', 'val_dataloader.num_workers=0',
            'val_dataloader.dataset.pipeline.1.scale=72', 'val_dataloader.dataset.pipeline.2.crop_size=64',
            'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1'
        ],
        metric='accuracy/top1'),
}


def host_train_tool(scope: str) -> str:
    spec = importlib.util.find_spec(scope)
    return osp.join(osp.dirname(spec.origin), '.mim', 'tools', 'train.py')


@pytest.mark.parametrize('scope', sorted(STOCK))
@pytest.mark.parametrize('tool', ['mmext', 'host'])
def test_stock_config_with_custom_imports_trains(tmp_path, repo_root, tool_env, scope, tool):
    stock = STOCK[scope]
    config = tmp_path / 'stock_plus_mmext.py'
    config.write_text(f"_base_ = '{stock['base']}'\n"
                      f"custom_imports = dict(imports=['{stock['entry']}'], allow_failed_imports=False)\n")
    data_root = str(tmp_path / 'data')
    train_py = osp.join(repo_root, 'tools', 'train.py') if tool == 'mmext' else host_train_tool(scope)
    result = subprocess.run(
        [sys.executable, train_py, str(config), '--work-dir', str(tmp_path / 'work'), '--cfg-options',
         *[o.format(data=data_root) for o in stock['options']]],
        cwd=str(tmp_path), env=tool_env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # Validation ran on the embedded data and logged its metric.
    assert stock['metric'] in output, output[-4000:]
