"""The compiled part of modq: the hashed n-gram features (classifier/_hashing.c).

Everything else is in pyproject.toml. The build is optional: without a C compiler
modq installs all the same and hashes with numpy (the same features, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "classifier._hashing",
            sources=["classifier/_hashing.c"],
            # no fused multiply-adds: explanations round as numpy does (token_weights)
            extra_compile_args=["-O2", "-ffp-contract=off"],
            optional=True,
        )
    ]
)
