"""The check for a real PC with Excel (addin/livecheck.py), as pytest: ``python -m pytest -m live``.

Runs only where Excel is (Windows); writes KPIAddin-check-result.txt at the top of the checkout, the file
to send back.  IT sections without the source run the same checks with ``py -3 -m addin.livecheck``.
Elsewhere the entry point itself is checked: it must still write a result file that says what is missing.
"""
import sys
from pathlib import Path

import pytest

from addin import livecheck

RESULT = Path(__file__).resolve().parent.parent / livecheck.RESULT_NAME


@pytest.mark.live
@pytest.mark.skipif(sys.platform != "win32", reason="Excel のある Windows PC でだけ実行します")
def test_real_excel():
    code = livecheck.main(["--out", str(RESULT)])
    assert code == 0, RESULT.read_text(encoding="utf-8-sig")


@pytest.mark.skipif(sys.platform == "win32", reason="the real check runs instead")
def test_without_excel_the_check_still_writes_what_is_missing(tmp_path, capsys):
    out = tmp_path / "result.txt"
    assert livecheck.main(["--out", str(out)]) == 2
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("KPI管理アドイン 動作確認") and "NG" in text
    assert "[情報] Python:" in text and "Windows ではありません" in text
    assert "このファイルを送ってください" in capsys.readouterr().out
