"""Sphinx configuration of the thetahat documentation (``make docs``).

The build must pass offline with warnings as errors (``-W``): intersphinx reads only the
inventories stored in ``docs/_intersphinx/`` (``numpy.inv``, ``scipy.inv``, ``iminuit.inv``,
``python.inv``) and skips a project whose file is absent, unless
``THETAHAT_DOCS_ONLINE=1`` lets it fetch them. The tutorials are MyST notebooks executed at
build time; ``THETAHAT_DOCS_EXECUTE=off`` builds them without executing (the default test
run does that; the full build is ``make docs`` and the slow test).
"""

from __future__ import annotations

import os
from pathlib import Path

import thetahat

HERE = Path(__file__).resolve().parent

project = "thetahat"
author = "the thetahat developers"
copyright = "2026, the thetahat developers"
release = thetahat.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
]

# the pages other sessions edit join through the glob toctree of index.md; the build
# products and notebook caches are never sources
exclude_patterns = ["_build", "jupyter_execute", "_intersphinx", "**.ipynb_checkpoints"]
templates_path = ["_templates"]  # the class page: the docstring, then its members once
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
html_static_path: list[str] = []
html_theme = "alabaster"
html_title = f"thetahat {release}"
# the project's addresses, one scheme (as pyproject.toml's [project.urls]): the repository
# on GitHub, this site on its GitHub Pages
html_baseurl = "https://thetahat.github.io/thetahat/"

# --- API reference ---------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True,
                           "show-inheritance": True}
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # autodoc's :members: lists them, once
numpydoc_class_members_toctree = False

# --- Markdown and notebooks ------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = os.environ.get("THETAHAT_DOCS_EXECUTE", "force")
nb_execution_timeout = 300
nb_execution_raise_on_error = True  # a tutorial cell that fails fails the build
nb_merge_streams = True
nb_execution_show_tb = True

# --- intersphinx, offline by default --------------------------------------------------
_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "scipy": "https://docs.scipy.org/doc/scipy",
    "iminuit": "https://scikit-hep.org/iminuit",
}
_online = os.environ.get("THETAHAT_DOCS_ONLINE") == "1"
intersphinx_mapping = {}
for _name, _url in _INVENTORIES.items():
    _local = HERE / "_intersphinx" / f"{_name}.inv"
    if _local.exists():
        intersphinx_mapping[_name] = (_url, str(_local))
    elif _online:
        intersphinx_mapping[_name] = (_url, None)
intersphinx_timeout = 10

