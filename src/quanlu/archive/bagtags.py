"""BagIt tag files: bagit.txt, bag-info.txt, manifests and fetch.txt, read and parsed.

Part of the BagIt reader (see ``bagit.py``); standard library only, no Django, embedded in the
standalone verifier.
"""

from __future__ import annotations

import codecs
import os
import re
import stat

try:  # in the source tree
    from quanlu.archive.bagmodel import (
        _BAG_COUNT_RE,
        _DATE_RE,
        _HEX_RE,
        _LINE_SPLIT_RE,
        _LOOSE_TAG_RE,
        _OXUM_RE,
        _PATH_PROBLEMS,
        _STRICT_TAG_RE,
        _URL_RE,
        _VERSION_RE,
        KNOWN_VERSIONS,
        NOT_REPEATED,
        TAG_FILE_LIMIT,
        BagReport,
        Manifest,
        check_path,
        decode_path,
        new_hash,
        rfc,
    )
except ImportError:  # inside verify_package.py, where modules are loaded by their short names
    from bagmodel import (  # type: ignore[no-redef]
        _BAG_COUNT_RE,
        _DATE_RE,
        _HEX_RE,
        _LINE_SPLIT_RE,
        _LOOSE_TAG_RE,
        _OXUM_RE,
        _PATH_PROBLEMS,
        _STRICT_TAG_RE,
        _URL_RE,
        _VERSION_RE,
        KNOWN_VERSIONS,
        NOT_REPEATED,
        TAG_FILE_LIMIT,
        BagReport,
        Manifest,
        check_path,
        decode_path,
        new_hash,
        rfc,
    )


def split_lines(text: str) -> list[str]:
    """Lines ended by LF, CR or CRLF (RFC 8493 §2.3), and by nothing else: str.splitlines()
    would also split on \\v, \\f, \\x1c-\\x1e, \\x85, \\u2028 and \\u2029, which may occur in
    file names."""
    lines = _LINE_SPLIT_RE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def read_tag_text(report: BagReport, base: str, name: str, encoding: str) -> str | None:
    """Read and decode one tag file whole; None (with an error reported) if it cannot be."""
    full = os.path.join(base, name)
    try:
        st = os.lstat(full)
    except OSError:
        report.error("tag.missing", f"标签文件 {name} 不存在。", file=name)
        return None
    if not stat.S_ISREG(st.st_mode):
        report.error("tag.not_a_file", f"{name} 不是普通文件。", file=name)
        return None
    if st.st_size > TAG_FILE_LIMIT:
        report.error("tag.too_large", f"{name} 过大（{st.st_size} 字节），拒绝读取。", file=name)
        return None
    with open(full, "rb") as fh:
        raw = fh.read()
    codec = codecs.lookup(encoding).name
    if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        # RFC 8493 forbids the BOM in bagit.txt (checked there); elsewhere it is noise
        # that would become part of the first label or filepath.
        report.warn(
            "tag.bom",
            f"{name} 以字节顺序标记（BOM）开头，已忽略。",
            file=name,
            rule=rfc(report.version, "2.3"),
        )
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode(codec, errors="strict")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        report.error(
            "tag.encoding",
            f"{name} 不能按声明的字符编码 {encoding} 解码（第{line}行附近，字节偏移 {exc.start}）。",
            file=name,
            line=line,
            rule=rfc(report.version, "2.1.1"),
        )
        return None


def parse_tag_lines(
    report: BagReport, name: str, text: str, *, strict: bool, continuation: bool
) -> list[tuple[str, str, int]]:
    """Parse ``Label: value`` lines into (label, value, line number)."""
    elements: list[tuple[str, str, int]] = []
    for number, line in enumerate(split_lines(text), start=1):
        if line == "":
            report.warn("tag.blank_line", f"{name} 第{number}行是空行。", file=name, line=number)
            continue
        if line[0] in " \t":
            if continuation and elements:
                label, value, first = elements[-1]
                elements[-1] = (label, value + "\n" + line.lstrip(" \t"), first)
                continue
            report.error(
                "tag.bad_line",
                f"{name} 第{number}行以空白开头，但不是上一元素的续行。",
                file=name,
                line=number,
                rule=rfc(report.version, "2.2.2"),
            )
            continue
        match = _STRICT_TAG_RE.match(line)
        if match is None and strict:
            loose = _LOOSE_TAG_RE.match(line)
            if loose and loose.group(1):
                if line.endswith(":") and ":" not in line[:-1] and line[-2:-1].strip():
                    report.warn(
                        "tag.empty_value",
                        f"{name} 第{number}行冒号后没有空格和取值。",
                        file=name,
                        line=number,
                        rule=rfc(report.version, "2.2.2"),
                    )
                    elements.append((line[:-1], "", number))
                    continue
                # stricter: bagit-python strips whitespace around the colon in every version;
                # RFC 8493 §2.2.2 allows that only for bags older than 1.0 (suite:
                # v1.0/invalid/bagit-with-invalid-whitespace).
                report.error(
                    "tag.whitespace",
                    f"{name} 第{number}行「{line.strip()}」：1.0 版要求标签后紧跟冒号、冒号后恰好一个空格或制表符。",
                    file=name,
                    line=number,
                    rule=rfc(report.version, "2.2.2"),
                )
                elements.append((loose.group(1), loose.group(2), number))
                continue
        if match is None:
            match = _LOOSE_TAG_RE.match(line)
            if match is None or not match.group(1):
                report.error(
                    "tag.bad_line",
                    f"{name} 第{number}行不是「标签: 取值」格式。",
                    file=name,
                    line=number,
                    rule=rfc(report.version, "2.2.2"),
                )
                continue
        elements.append((match.group(1), match.group(2), number))
    return elements


def read_declaration(report: BagReport, base: str) -> None:
    """bagit.txt, RFC 8493 §2.1.1: two lines, UTF-8, no BOM."""
    name = "bagit.txt"
    full = os.path.join(base, name)
    if not os.path.isfile(full) or os.path.islink(full):
        report.error("bagit.missing", "缺少包声明文件 bagit.txt。", file=name, rule=rfc("1.0", "2.1.1"))
        return
    with open(full, "rb") as fh:
        raw = fh.read(65536)
    if raw.startswith(codecs.BOM_UTF8):
        # Both 1.0 and 0.97 forbid it (suite: v0.97/invalid/bom-in-bagit.txt). bagit-python agrees.
        report.error(
            "bagit.bom", "bagit.txt 不得以字节顺序标记（BOM）开头。", file=name, rule=rfc("1.0", "2.1.1")
        )
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        report.error("bagit.encoding", "bagit.txt 必须是 UTF-8 编码。", file=name, rule=rfc("1.0", "2.1.1"))
        return
    lines = split_lines(text)
    first = _LOOSE_TAG_RE.match(lines[0]) if lines else None
    version = first.group(2) if first and first.group(1) == "BagIt-Version" else ""
    report.version = version if version in KNOWN_VERSIONS else ""
    strict = report.version == "1.0"
    elements = parse_tag_lines(report, name, text, strict=strict, continuation=False)
    labels = [label for label, _, _ in elements]
    if labels[:2] != ["BagIt-Version", "Tag-File-Character-Encoding"]:
        missing = [x for x in ("BagIt-Version", "Tag-File-Character-Encoding") if x not in labels]
        what = "缺少 " + "、".join(missing) if missing else "两行顺序不对"
        report.error(
            "bagit.elements",
            f"bagit.txt 应依次为 BagIt-Version 和 Tag-File-Character-Encoding 两行：{what}。",
            file=name,
            rule=rfc(report.version, "2.1.1"),
        )
    if len(elements) > 2:
        (report.error if strict else report.warn)(
            "bagit.extra_lines",
            f"bagit.txt 应恰好两行，实有{len(elements)}行。",
            file=name,
            rule=rfc(report.version, "2.1.1"),
        )
    values = {label: value for label, value, _ in elements}
    if "BagIt-Version" in values:
        raw_version = values["BagIt-Version"]
        if not _VERSION_RE.match(raw_version):
            report.error(
                "bagit.version",
                f"BagIt-Version 的取值「{raw_version}」不是「主版本.次版本」（M.N）格式。",
                file=name,
                line=1,
                rule=rfc("1.0", "2.1.1"),
            )
            report.version = ""
        elif raw_version not in KNOWN_VERSIONS:
            report.error(
                "bagit.version_unknown",
                f"不认识的 BagIt 版本 {raw_version}（支持 0.93–0.97 与 1.0）。",
                file=name,
                line=1,
            )
        elif raw_version not in ("0.97", "1.0"):
            report.warn(
                "bagit.old_version",
                f"BagIt {raw_version} 是早期草案，按 0.97 的规则检查。",
                file=name,
                line=1,
            )
    encoding = values.get("Tag-File-Character-Encoding", "")
    if encoding:
        try:
            codecs.lookup(encoding)
            report.encoding = encoding
        except LookupError:
            report.error(
                "bagit.encoding_unknown",
                f"不认识的字符编码「{encoding}」。",
                file=name,
                line=2,
                rule=rfc(report.version, "2.1.1"),
            )
        else:
            if report.version == "1.0" and codecs.lookup(encoding).name != "utf-8":
                report.warn(
                    "bagit.not_utf8",
                    f"标签文件使用 {encoding} 编码；RFC 8493 建议使用 UTF-8。",
                    file=name,
                    line=2,
                    rule=rfc("1.0", "2.1.1"),
                )


def parse_manifest(report: BagReport, base: str, name: str, kind: str, algorithm: str) -> Manifest:
    """``checksum filepath`` lines (RFC 8493 §2.1.3, §2.2.1)."""
    manifest = Manifest(name=name, kind=kind, algorithm=algorithm)
    text = read_tag_text(report, base, name, report.encoding or "utf-8")
    if text is None:
        return manifest
    version = report.version or "0.97"
    section = "2.1.3" if kind == "payload" else "2.2.1"
    digest_len = None
    if manifest.supported:
        digest_len = new_hash(algorithm).digest_size * 2
    for number, line in enumerate(split_lines(text), start=1):
        if line.strip() == "":
            report.warn("manifest.blank_line", f"{name} 第{number}行是空行。", file=name, line=number)
            continue
        parts = re.split(r"[ \t]+", line, maxsplit=1)
        if len(parts) != 2 or not _HEX_RE.match(parts[0]) or parts[1] == "":
            report.error(
                "manifest.bad_line",
                f"{name} 第{number}行不是「校验值 空白 文件路径」格式。",
                file=name,
                line=number,
                rule=rfc(version, section),
            )
            continue
        checksum, raw_path = parts[0].lower(), parts[1]
        if digest_len is not None and len(checksum) != digest_len:
            report.error(
                "manifest.bad_checksum",
                f"{name} 第{number}行的校验值长度为{len(checksum)}，{algorithm} 应为{digest_len}位十六进制。",
                file=name,
                line=number,
                rule=rfc(version, section),
            )
        if raw_path.startswith("*") and version != "1.0":
            # md5sum's binary-mode marker (suite: v0.97/warning/made-with-md5sum-tools). In a 1.0
            # bag the star is part of the path, which then lies outside data/ and is refused.
            report.warn(
                "manifest.md5sum_star",
                f"{name} 第{number}行的路径以 * 开头（md5sum 的二进制模式标记），已去掉。",
                file=name,
                line=number,
            )
            raw_path = raw_path[1:]
        path, problem = decode_path(raw_path, version)
        if problem == "percent":
            report.error(
                "path.unencoded_percent",
                f"{name} 第{number}行的路径「{raw_path}」含有未编码的 %（应写作 %25）。",
                file=name,
                line=number,
                rule=rfc("1.0", "2.1.3"),
            )
        if path.startswith("./"):
            report.warn(
                "path.dot_slash",
                f"{name} 第{number}行的路径以 ./ 开头，已按相对于包根目录理解。",
                file=name,
                line=number,
            )
            path = path[2:]
        if not check_entry_path(report, name, number, path, kind, version):
            continue
        if path in manifest.entries:
            old_sum, old_line = manifest.entries[path]
            same = old_sum == checksum
            # 1.0: listing a file twice is an error; 0.97 tolerates it when the checksums agree
            # (suite: v1.0/invalid/same-filename-listed-twice-*, v0.97/warning/...-same-hash).
            level = "error" if (version == "1.0" or not same) else "warning"
            report.add(
                level,
                "manifest.duplicate",
                f"{name} 第{old_line}行和第{number}行重复列出 {path}"
                + ("（校验值相同）。" if same else "，且校验值不同。"),
                file=name,
                line=number,
                rule=rfc(version, section),
            )
            continue
        manifest.entries[path] = (checksum, number)
    return manifest


def check_entry_path(report: BagReport, name: str, number: int, path: str, kind: str, version: str) -> bool:
    problem = check_path(path)
    section = "2.1.3" if kind in ("payload", "extra") else "2.2.1"
    if problem:
        report.error(
            f"path.{problem}",
            f"{name} 第{number}行：{_PATH_PROBLEMS[problem]}：「{path}」。",
            file=name,
            line=number,
            rule=rfc(version, "2.1.3") + "; RFC 8493 §6 (security)",
        )
        return False
    in_payload = path.startswith("data/")
    if kind in ("payload", "extra", "fetch") and not in_payload:
        report.error(
            "path.outside_payload",
            f"{name} 第{number}行的「{path}」不在有效载荷目录 data/ 之内。",
            file=name,
            line=number,
            rule=rfc(version, "2.2.3" if kind == "fetch" else section),
        )
        return False
    if kind == "tag" and in_payload:
        # A tag manifest covers tag files only (RFC 8493 §2.2.1).
        (report.error if version == "1.0" else report.warn)(
            "tagmanifest.payload_file",
            f"{name} 第{number}行列出了有效载荷文件 {path}；标签清单只应列出标签文件。",
            file=name,
            line=number,
            rule=rfc(version, "2.2.1"),
        )
        return False
    if "\\" in path:
        report.warn(
            "path.backslash",
            f"{name} 第{number}行的路径含反斜杠「\\」，在 Windows 上会被当作目录分隔符。",
            file=name,
            line=number,
            rule=rfc(version, "2.1.3"),
        )
    return True


def parse_fetch(report: BagReport, base: str) -> dict[str, tuple[str, int | None, int]]:
    """fetch.txt, RFC 8493 §2.2.3: ``url length filepath``. We never fetch anything."""
    name = "fetch.txt"
    items: dict[str, tuple[str, int | None, int]] = {}
    text = read_tag_text(report, base, name, report.encoding or "utf-8")
    if text is None:
        return items
    version = report.version or "0.97"
    for number, line in enumerate(split_lines(text), start=1):
        if line.strip() == "":
            continue
        parts = re.split(r"[ \t]+", line, maxsplit=2)
        if len(parts) != 3:
            report.error(
                "fetch.bad_line",
                f"fetch.txt 第{number}行不是「URL 长度 文件路径」格式。",
                file=name,
                line=number,
                rule=rfc(version, "2.2.3"),
            )
            continue
        url, length, raw_path = parts
        if not _URL_RE.match(url):
            report.error(
                "fetch.bad_url",
                f"fetch.txt 第{number}行的「{url}」不是绝对 URL。",
                file=name,
                line=number,
                rule=rfc(version, "2.2.3"),
            )
        size: int | None = None
        if length != "-":
            if not length.isdigit():
                report.error(
                    "fetch.bad_length",
                    f"fetch.txt 第{number}行的长度「{length}」应为字节数或 -。",
                    file=name,
                    line=number,
                    rule=rfc(version, "2.2.3"),
                )
            else:
                size = int(length)
        path, problem = decode_path(raw_path, version)
        if problem == "percent":
            report.error(
                "path.unencoded_percent",
                f"fetch.txt 第{number}行的路径「{raw_path}」含有未编码的 %。",
                file=name,
                line=number,
                rule=rfc("1.0", "2.2.3"),
            )
        if not check_entry_path(report, name, number, path, "fetch", version):
            continue
        items[path] = (url, size, number)
    return items


def parse_bag_info(report: BagReport, base: str) -> None:
    name = "bag-info.txt"
    text = read_tag_text(report, base, name, report.encoding or "utf-8")
    if text is None:
        return
    version = report.version or "0.97"
    elements = parse_tag_lines(report, name, text, strict=version == "1.0", continuation=True)
    report.info = [(label, value) for label, value, _ in elements]
    seen: dict[str, int] = {}
    for label, value, number in elements:
        key = label.lower()
        if key in NOT_REPEATED and key in seen:
            # Payload-Oxum MUST NOT repeat; the others SHOULD NOT (RFC 8493 §2.2.2).
            (report.error if key == "payload-oxum" else report.warn)(
                "baginfo.repeated",
                f"bag-info.txt 第{number}行重复了 {label}（首次在第{seen[key]}行）。",
                file=name,
                line=number,
                rule=rfc(version, "2.2.2"),
            )
        seen.setdefault(key, number)
        if key == "bagging-date" and not _DATE_RE.match(value):
            report.warn(
                "baginfo.bagging_date",
                f"Bagging-Date「{value}」不是 YYYY-MM-DD 格式。",
                file=name,
                line=number,
                rule=rfc(version, "2.2.2"),
            )
        if key == "bag-count" and not _BAG_COUNT_RE.match(value):
            report.warn(
                "baginfo.bag_count",
                f"Bag-Count「{value}」不是「N of T」格式。",
                file=name,
                line=number,
                rule=rfc(version, "2.2.2"),
            )
        if key == "payload-oxum" and not _OXUM_RE.match(value):
            report.error(
                "baginfo.oxum_format",
                f"Payload-Oxum「{value}」不是「字节数.文件数」格式。",
                file=name,
                line=number,
                rule=rfc(version, "2.2.2"),
            )
