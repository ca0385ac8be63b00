"""Give the site the attention viewer's script and stylesheet from the course package.

They live in ``course/assets/``, where ``course.plots.attention`` inlines them into a notebook's
output, so that the site and the notebooks cannot drift apart. The site keeps the addresses it
had before the files moved: the script is ``javascripts/attention-viewer.js`` (mkdocs.yml's
extra_javascript loads it), and the viewer's rules come at the end of
``stylesheets/course.css``, after the site's own, so no page needs one more request.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

SCRIPT = "javascripts/attention-viewer.js"
STYLESHEET = "stylesheets/course.css"


def on_files(files, config):
    assets = Path(config.config_file_path).resolve().parent / "course" / "assets"
    files.append(File.generated(config, SCRIPT, abs_src_path=str(assets / "attention-viewer.js")))
    site_css = files.get_file_from_path(STYLESHEET)
    files.remove(site_css)
    css = site_css.content_string.rstrip("\n") + "\n\n" + (assets / "attention-viewer.css").read_text()
    files.append(File.generated(config, STYLESHEET, content=css))
    return files
