"""The tiny model ``user_train.py`` trains (also written as the config's model file)."""

TINY = {
    "arch_layout": ["m1", ["T1"], "m1"], "d_model": [64, 96], "d_intermediate": [0, 128], "vocab_size": 256,
    "ssm_cfg": {"chunk_size": 32, "d_conv": 4, "d_state": 16, "expand": 2},
    "attn_cfg": {"num_heads": [2, 2], "rotary_emb_dim": [16, 16], "window_size": [-1, -1]},
    "tie_embeddings": False,
}
