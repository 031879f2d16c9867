__version__ = "0.1.0"

import warnings
# fastai 2.8.7 calls torch.jit.script at import time, which torch 2.14 deprecates: harmless, and noise in every notebook.
warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated', category=FutureWarning)
