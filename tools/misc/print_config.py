"""Print the fully resolved config (``_base_`` inheritance and ``--cfg-options`` applied).

    python tools/misc/print_config.py CONFIG [--cfg-options k=v ...] [--save-path FILE]
"""
import argparse

from mmengine.config import Config, DictAction


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--save-path', help='also dump the resolved config to this file (.py/.json/.yaml)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings, key=value pairs')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path is not None:
        cfg.dump(args.save_path)
        print(f'Config saved to {args.save_path}')


if __name__ == '__main__':
    main()
