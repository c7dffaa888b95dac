"""Fine-tuning on the rebuilt train split (docs/FINETUNE.md): ``data`` turns a build's
``SARChat_train.json`` into files a trainer reads as they are (``sarchat train-data``), ``loop`` is
a plain transformers + peft LoRA loop with ms-swift's defaults (``sarchat finetune``)."""
