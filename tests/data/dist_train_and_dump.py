"""tools/train.py under torchrun, then each rank saves its model's state dict to <work_dir>/state_rank<r>.pth, so a
test can compare what the ranks hold (rank 0 alone writes checkpoints)."""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
from mmengine.dist import get_rank  # noqa: E402
from mmengine.model import is_model_wrapper  # noqa: E402

from mmext.utils.launch import build_runner, load_config  # noqa: E402
from tools.train import parse_args  # noqa: E402

if __name__ == '__main__':
    cfg = load_config(parse_args())
    runner = build_runner(cfg)
    runner.train()
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    torch.save(model.state_dict(), osp.join(cfg.work_dir, f'state_rank{get_rank()}.pth'))
