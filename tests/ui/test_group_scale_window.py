"""Opening a file with many groups in the window costs linear time (issue 20, part 4: 10,000 groups took 46 s,
each group card scanning the whole graph); counted in lines of Python run at two sizes, not timed."""

from __future__ import annotations

from group_files import flat_groups, grows_linearly, lines_run, nested_groups

from netbuilder.core.document import parse
from netbuilder.ui.app.main_window import MainWindow


def test_the_window_opens_many_groups_in_linear_time(make_window, qtbot):
    make_window("seed_cnn")  # the application and the user's settings, as every window test has them
    windows = []

    def opened(text: str) -> int:
        document = parse(text)

        def work() -> None:
            window = MainWindow(document)
            qtbot.addWidget(window)
            window.show()
            qtbot.waitExposed(window)
            windows.append(window)

        return lines_run(work)

    flat = {n: flat_groups(n) for n in (500, 1000)}
    grows_linearly(lambda n: opened(flat[n]), 500)
    nested = {n: nested_groups(n) for n in (100, 200)}
    grows_linearly(lambda n: opened(nested[n]), 100)
    assert all(len(w.editor.graph.groups) in (100, 200, 500, 1000) for w in windows)
