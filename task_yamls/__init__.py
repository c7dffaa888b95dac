"""The SARChat-Bench lmms-eval task YAMLs (hand this folder to --include_path) and the bundled sample."""
