"""A run: its frozen configuration, presets, the memory it needs, the trainer process loop,
run files, the timeline of checkpoints, code generation and the command line."""
