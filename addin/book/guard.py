"""Before any parsing: is this file a workbook the tool may open, and is it safe to parse?

Every command that opens a workbook goes through here first (``open_workbook`` for openpyxl, ``open_package``
for the package patcher).  Each refusal is a WorkbookError whose Japanese message says what the file is and
what to do; nothing is written and no temporary file is made.

- the path: missing, a folder, unreadable;
- the format, by content (not by name): an encrypted workbook (OLE compound file holding ``EncryptedPackage``),
  an old .xls (OLE), an OpenDocument .ods, a CSV/text file, anything else that is not a zip, a zip that is not
  an Excel workbook;
- zip bombs: limits on the number of parts, each part's and the total uncompressed size and each part's
  compression ratio, read from the central directory before a byte is inflated (Python's zipfile never
  inflates more than the declared size, so the declared sizes bound the real cost);
- XML bombs and external entities: any part whose prolog holds a DTD (``<!DOCTYPE``/``<!ENTITY``) is refused;
  Excel never writes one, and without a DTD there is no entity to expand or fetch.
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from ..errors import WorkbookError

MAX_PARTS = 10_000
MAX_PART_BYTES = 512 * 1024 ** 2        # one part, inflated
MAX_TOTAL_BYTES = 1024 ** 3             # all parts, inflated
MAX_RATIO = 200                         # inflated / compressed, for parts larger than RATIO_FLOOR
RATIO_FLOOR = 1024 ** 2                 # small parts may compress as well as they like
MAX_PROLOG_BYTES = 1024 ** 2            # text before an XML part's root element

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XML_SUFFIXES = (".xml", ".rels", ".vml")
ODF_MIMETYPE = b"application/vnd.oasis.opendocument"


def _name(path) -> str:
    return Path(path).name if path is not None else "ブック"


def check_file(path) -> Path:
    """The path names a readable file (not missing, not a folder)."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise WorkbookError(f"ファイル「{path}」が見つかりません。パスを確認してください。") from None
    except OSError as e:
        raise WorkbookError(f"ファイル「{path}」を開けません（{e.strerror}）。パスを確認してください。") from None
    if path.is_dir():
        raise WorkbookError(f"「{path}」はフォルダーです。KPI管理ブック（.xlsx）のファイルを指定してください。")
    if not path.is_file():
        raise WorkbookError(f"「{path}」は通常のファイルではありません。KPI管理ブック（.xlsx）のファイルを指定してください。")
    if not st.st_mode & 0o444 or not os.access(path, os.R_OK):
        raise WorkbookError(f"「{path.name}」を読み取る権限がありません。ファイルのアクセス権を確認するか、"
                            "読み取れる場所にコピーしてから実行してください。")
    return path


def read_bytes(path) -> bytes:
    """The whole file, read once, after ``check_file``."""
    path = check_file(path)
    try:
        return path.read_bytes()
    except PermissionError:
        raise WorkbookError(f"「{path.name}」を読み取る権限がありません。ファイルのアクセス権を確認するか、"
                            "読み取れる場所にコピーしてから実行してください。") from None
    except OSError as e:
        raise WorkbookError(f"「{path.name}」を読み取れません（{e.strerror}）。") from None


def open_package(source, name=None) -> zipfile.ZipFile:
    """Open an .xlsx/.xlsm package (a path or its bytes) after every check above; the caller closes it."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        shown = name or "ブック"
    else:
        shown = name or source
        data = read_bytes(source)
    check_format(data, shown)
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as e:
        raise WorkbookError(f"「{_name(shown)}」は壊れているため、Excelブック（.xlsx）として読み込めません"
                            f"（{type(e).__name__}）。Excelで開けるか確認し、保存し直してください。") from None
    try:
        check_zip(z, shown)
        check_xml(z, shown)
    except BaseException:
        z.close()
        raise
    return z


def check_format(data: bytes, path) -> None:
    """Refuse what is not an Office Open XML package, each kind with its own message."""
    n = _name(path)
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise WorkbookError(f"「{n}」はパスワードで保護（暗号化）されているため読み込めません。"
                                "Excelで開き、［ファイル］→［情報］→［ブックの保護］→［パスワードを使用して暗号化］で"
                                "パスワードを消して保存してから実行してください。")
        raise WorkbookError(f"「{n}」は古い形式（Excel 97-2003 の .xls）のブックです。Excelで開き、"
                            "［名前を付けて保存］で「Excel ブック (*.xlsx)」を選んで保存し直してから実行してください。")
    if not data.startswith(b"PK"):
        suffix = Path(str(path)).suffix.lower()
        if suffix in (".csv", ".txt", ".tsv") or _looks_like_csv(data):
            raise WorkbookError(f"「{n}」はCSV（テキスト）ファイルで、Excelブックではありません。Excelで開き、"
                                "KPI管理テンプレートに貼り付けて .xlsx で保存してから実行してください。")
        raise WorkbookError(f"「{n}」はExcelブック（.xlsx）として読み込めません（ファイルの中身が .xlsx の形式ではありません）。"
                            "KPI管理ブックを指定してください。")


def _looks_like_csv(data: bytes) -> bool:
    """Text (UTF-8 or cp932) whose first line has a comma or a tab."""
    head = data[:4096]
    first = head.split(b"\n", 1)[0]
    if not head or b"\x00" in head or (b"," not in first and b"\t" not in first):
        return False
    for enc in ("utf-8-sig", "cp932"):
        try:
            head.decode(enc)
            return True
        except UnicodeDecodeError as e:
            if e.start >= len(head) - 3:  # a character cut at the 4 KB boundary
                return True
    return False


def check_zip(z: zipfile.ZipFile, path) -> None:
    """Sizes from the central directory, before anything is inflated; then: is it an Excel workbook?"""
    n = _name(path)
    infos = z.infolist()
    if len(infos) > MAX_PARTS:
        raise WorkbookError(f"「{n}」は部品（内部ファイル）が {len(infos):,} 個あり、上限 {MAX_PARTS:,} を超えるため開きません。"
                            "壊れているか、悪意のあるファイルの可能性があります。")
    total = 0
    for i in infos:
        total += i.file_size
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > MAX_PART_BYTES or (i.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise WorkbookError(
                f"「{n}」の部品「{i.filename}」は展開すると {i.file_size / 1024 ** 2:,.0f} MiB"
                f"（圧縮率 {ratio:,.0f} 倍）になるため、安全のため開きません（上限 {MAX_PART_BYTES // 1024 ** 2} MiB・"
                f"{MAX_RATIO} 倍）。壊れているか、悪意のあるファイル（zip爆弾）の可能性があります。")
        if i.flag_bits & 0x1:
            raise WorkbookError(f"「{n}」は暗号化されたzipのため読み込めません。Excelで保存し直したブックを指定してください。")
    if total > MAX_TOTAL_BYTES:
        raise WorkbookError(f"「{n}」は展開すると合計 {total / 1024 ** 2:,.0f} MiB になり、上限 {MAX_TOTAL_BYTES // 1024 ** 2} MiB を"
                            "超えるため、安全のため開きません。壊れているか、悪意のあるファイル（zip爆弾）の可能性があります。")
    names = set(z.namelist())
    if "mimetype" in names and z.read("mimetype")[:64].startswith(ODF_MIMETYPE):
        raise WorkbookError(f"「{n}」は OpenDocument（LibreOffice の .ods など）の形式です。LibreOffice または Excel で開き、"
                            "「Excel 2007-365 (.xlsx)」形式で保存し直してから実行してください。")
    if "[Content_Types].xml" not in names or not any(x.startswith("xl/workbook") for x in names):
        raise WorkbookError(f"「{n}」はzip形式ですが、Excelブック（.xlsx）ではありません（Word・PowerPoint の文書や"
                            "圧縮フォルダーなど）。KPI管理ブックを指定してください。")


def check_xml(z: zipfile.ZipFile, path) -> None:
    """No XML part may carry a DTD (entity bombs, external entities): read only each part's prolog."""
    for info in z.infolist():
        if not info.filename.lower().endswith(XML_SUFFIXES) and info.filename != "[Content_Types].xml":
            continue
        with z.open(info) as stream:
            verdict = _prolog(stream)
        if verdict:
            raise WorkbookError(f"「{_name(path)}」の部品「{info.filename}」に{verdict}があるため、安全のため開きません"
                                "（Excel が保存したブックには含まれないもので、外部のファイルを読み込んだり、展開して"
                                "メモリを使い尽くしたりする仕掛けに使われます）。Excelで開いて保存し直したブックを指定してください。")


def _prolog(stream) -> str | None:
    """Read an XML part up to its root element; say what is wrong in the prolog (a DTD), or None."""
    raw = b""
    while True:
        chunk = stream.read(8192)
        raw += chunk
        text = _decode(raw)
        pos, n = 0, len(text)
        while True:
            while pos < n and text[pos] in " \t\r\n\ufeff":
                pos += 1
            if pos >= n:
                break
            rest = text[pos:pos + 4]
            if rest.startswith("<?"):
                end, close = text.find("?>", pos), 2
            elif rest.startswith("<!--"):
                end, close = text.find("-->", pos + 4), 3
            elif len(rest) < 4 and "<!--".startswith(rest):
                break   # cut short: read on
            elif rest.startswith("<!"):
                return "DTD（<!DOCTYPE>・エンティティ宣言）"
            else:
                return None   # the root element (or not XML: the parser will say so)
            if end < 0:
                break
            pos = end + close
        if not chunk:
            return None
        if len(raw) > MAX_PROLOG_BYTES:
            return f"{MAX_PROLOG_BYTES // 1024 ** 2} MiB を超える前置き（XML宣言・コメント）"


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw[1:2] == b"\x00" or raw[:1] == b"\x00":
        enc = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else (
            "utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be")
        return raw[: len(raw) // 2 * 2].decode(enc, "replace")
    return raw.decode("latin-1")
