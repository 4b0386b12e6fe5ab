import torch

SAMPLES = {
    'mmengine.CPUAmpOptimWrapper':
    dict(type='CPUAmpOptimWrapper', optimizer=torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)),
}
