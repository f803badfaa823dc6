"""The BagIt rules one by one, on small bags built here; each failure names file, line, rule."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from quanlu.archive import bagit

V1 = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
V097 = b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n"


def sha(data: bytes, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, data).hexdigest()


def make_bag(
    root: Path,
    files: dict[str, bytes],
    *,
    declaration: bytes = V1,
    manifest_lines: dict[str, list[str]] | None = None,
    bag_info: bytes | None = None,
    tagmanifest: bool = True,
    eol: str = "\n",
    extra_tags: dict[str, bytes] | None = None,
) -> Path:
    """A bag with sha256 manifests over ``files`` (paths under data/, written raw)."""
    root.mkdir()
    (root / "data").mkdir()
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    (root / "bagit.txt").write_bytes(declaration)
    if manifest_lines is None:
        manifest_lines = {"sha256": [f"{sha(b)}  {bagit.encode_path(p)}" for p, b in sorted(files.items())]}
    for algorithm, lines in manifest_lines.items():
        (root / f"manifest-{algorithm}.txt").write_bytes("".join(x + eol for x in lines).encode("utf-8"))
    if bag_info is not None:
        (root / "bag-info.txt").write_bytes(bag_info)
    for name, body in (extra_tags or {}).items():
        (root / name).write_bytes(body)
    if tagmanifest:
        tags = sorted(p.name for p in root.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-"))
        lines = [f"{sha((root / t).read_bytes())}  {t}" for t in tags]
        (root / "tagmanifest-sha256.txt").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return root


def codes(report: bagit.BagReport, level: str = "error") -> set[str]:
    return {i.code for i in report.issues if i.level == level}


def test_a_plain_1_0_bag_is_valid(tmp_path):
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"hello", "data/子目录/记录.pdf": b"%PDF-1.7"})
    report = bagit.validate_bag(str(bag))
    assert report.valid, bagit.format_report(report)
    assert (report.payload_files, report.payload_bytes) == (2, 13)


def test_an_empty_payload_is_valid(tmp_path):
    bag = make_bag(tmp_path / "b", {})
    assert bagit.validate_bag(str(bag)).valid


def test_percent_cr_and_lf_in_names_are_percent_encoded_in_1_0(tmp_path):
    files = {"data/100%.txt": b"1", "data/line\nbreak.txt": b"2", "data/carriage\rreturn": b"3"}
    bag = make_bag(tmp_path / "b", files)
    text = (bag / "manifest-sha256.txt").read_text()
    assert "data/100%25.txt" in text
    assert "line%0Abreak" in text
    assert "carriage%0Dreturn" in text
    report = bagit.validate_bag(str(bag))
    assert report.valid, bagit.format_report(report)


def test_a_bare_percent_in_a_1_0_manifest_is_refused(tmp_path):
    # stricter than bagit-python: RFC 8493 §2.1.3 requires % to be written %25.
    bag = make_bag(
        tmp_path / "b", {"data/100%.txt": b"1"}, manifest_lines={"sha256": [f"{sha(b'1')}  data/100%.txt"]}
    )
    report = bagit.validate_bag(str(bag))
    issue = next(i for i in report.errors if i.code == "path.unencoded_percent")
    assert (issue.file, issue.line, issue.rule) == ("manifest-sha256.txt", 1, "RFC 8493 §2.1.3")


def test_a_0_97_manifest_takes_percent_literally(tmp_path):
    bag = make_bag(
        tmp_path / "b",
        {"data/%7Efile": b"x"},
        declaration=V097,
        manifest_lines={"sha256": [f"{sha(b'x')}  data/%7Efile"]},
    )
    assert bagit.validate_bag(str(bag)).valid


def test_only_lf_cr_and_crlf_end_lines(tmp_path):
    # A file separator (\x1c) is a line break to str.splitlines() but part of a name here.
    name = "data/a\x1cb\x85c"
    for eol in ("\r\n", "\r"):
        bag = make_bag(tmp_path / f"b{len(eol)}", {name: b"z"}, eol=eol)
        report = bagit.validate_bag(str(bag))
        assert report.valid, bagit.format_report(report)


def test_a_corrupt_payload_file_is_named_with_its_manifest_line(tmp_path):
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"hello", "data/b.txt": b"world"})
    (bag / "data" / "b.txt").write_bytes(b"World")
    report = bagit.validate_bag(str(bag))
    [issue] = report.errors
    assert (issue.code, issue.file, issue.line) == ("manifest.checksum_mismatch", "data/b.txt", 2)
    assert issue.phase == "valid"
    assert report.complete
    assert not report.valid


def test_payload_oxum_mismatch_does_not_hide_which_file_is_wrong(tmp_path):
    info = b"Payload-Oxum: 10.2\n"
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"hello", "data/b.txt": b"world"}, bag_info=info)
    (bag / "data" / "b.txt").write_bytes(b"world, longer")
    report = bagit.validate_bag(str(bag))
    assert {"baginfo.oxum_mismatch", "manifest.checksum_mismatch"} <= codes(report)
    assert any(i.file == "data/b.txt" for i in report.errors)


def test_payload_oxum_must_not_repeat(tmp_path):
    info = b"Payload-Oxum: 5.1\nPayload-Oxum: 5.1\n"
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"hello"}, bag_info=info)
    assert "baginfo.repeated" in codes(bagit.validate_bag(str(bag)))


def test_completeness_only_reads_no_payload(tmp_path):
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"hello"})
    (bag / "data" / "a.txt").write_bytes(b"HELLO")
    report = bagit.validate_bag(str(bag), completeness_only=True)
    assert report.complete
    assert not report.checksums_checked
    assert not report.valid
    assert report.files_hashed == 0


def test_files_missing_and_files_unlisted_are_both_named(tmp_path):
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"a", "data/b.txt": b"b"})
    (bag / "data" / "a.txt").unlink()
    (bag / "data" / "c.txt").write_bytes(b"c")
    report = bagit.validate_bag(str(bag))
    found = {(i.code, i.file) for i in report.errors}
    assert ("payload.missing", "data/a.txt") in found
    assert ("payload.not_in_manifest", "data/c.txt") in found


def test_1_0_requires_every_file_in_every_payload_manifest(tmp_path):
    files = {"data/a.txt": b"a", "data/b.txt": b"b"}
    lines = {
        "sha256": [f"{sha(b'a')}  data/a.txt", f"{sha(b'b')}  data/b.txt"],
        "sha512": [f"{sha(b'a', 'sha512')}  data/a.txt"],
    }
    report = bagit.validate_bag(str(make_bag(tmp_path / "b1", files, manifest_lines=lines)))
    issue = next(i for i in report.errors if i.code == "payload.not_in_every_manifest")
    assert issue.file == "data/b.txt"
    assert "manifest-sha512.txt" in issue.message
    # 0.97 allowed a file in just one manifest.
    older = make_bag(tmp_path / "b2", files, manifest_lines=lines, declaration=V097)
    assert bagit.validate_bag(str(older)).valid


def test_a_manifest_may_not_name_a_directory(tmp_path):
    bag = make_bag(tmp_path / "b", {"data/d/a.txt": b"a"})
    with open(bag / "manifest-sha256.txt", "a") as fh:
        fh.write(f"{sha(b'')}  data/d\n")
    assert "manifest.directory" in codes(bagit.validate_bag(str(bag)))


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("../outside.txt", "path.dotdot"),
        ("data/../../etc/passwd", "path.dotdot"),
        ("/etc/passwd", "path.absolute"),
        ("~/x", "path.home"),
        ("data//a.txt", "path.segment"),
        ("data/./a.txt", "path.segment"),
        ("bag-info.txt", "path.outside_payload"),
    ],
)
def test_unsafe_manifest_paths_are_refused_without_touching_them(tmp_path, path, code):
    bag = make_bag(
        tmp_path / "b",
        {"data/a.txt": b"a"},
        manifest_lines={"sha256": [f"{sha(b'a')}  data/a.txt", f"{sha(b'x')}  {path}"]},
    )
    report = bagit.validate_bag(str(bag))
    issue = next(i for i in report.errors if i.code == code)
    assert (issue.file, issue.line) == ("manifest-sha256.txt", 2)


def test_a_symlink_out_of_the_bag_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"a"})
    os.symlink(secret, bag / "data" / "link.txt")
    with open(bag / "manifest-sha256.txt", "a") as fh:
        fh.write(f"{sha(b'secret')}  data/link.txt\n")
    report = bagit.validate_bag(str(bag))
    assert ("payload.symlink", "data/link.txt") in {(i.code, i.file) for i in report.errors}


def test_a_fifo_in_the_payload_is_refused_and_never_opened(tmp_path):
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"a"})
    os.mkfifo(bag / "data" / "pipe")
    with open(bag / "manifest-sha256.txt", "a") as fh:
        fh.write(f"{sha(b'')}  data/pipe\n")
    report = bagit.validate_bag(str(bag))  # would block forever if it opened the pipe
    assert "payload.special_file" in codes(report)


def test_tag_manifests_in_1_0_must_list_the_payload_manifests_and_no_tag_manifest(tmp_path):
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"a"}, tagmanifest=False)
    body = (bag / "bagit.txt").read_bytes()
    other = b"irrelevant\n"
    (bag / "tagmanifest-sha512.txt").write_bytes(b"")
    (bag / "tagmanifest-sha256.txt").write_text(
        f"{sha(body)}  bagit.txt\n{sha(b'')}  tagmanifest-sha512.txt\n{sha(other)}  data/a.txt\n",
        encoding="utf-8",
    )
    report = bagit.validate_bag(str(bag))
    assert {
        "tagmanifest.missing_manifest",
        "tagmanifest.lists_tagmanifest",
        "tagmanifest.payload_file",
    } <= codes(report)


def test_a_corrupt_tag_file_is_named(tmp_path):
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"a"}, bag_info=b"Source-Organization: X\n")
    (bag / "bag-info.txt").write_bytes(b"Source-Organization: Y\n")
    report = bagit.validate_bag(str(bag))
    [issue] = report.errors
    assert (issue.code, issue.file) == ("manifest.checksum_mismatch", "bag-info.txt")


def test_bag_info_needs_one_space_after_the_colon_in_1_0_only(tmp_path):
    info = b"Source-Organization:X\nContact-Name :  Y\n"
    strict = make_bag(tmp_path / "b1", {}, bag_info=info)
    assert [i.line for i in bagit.validate_bag(str(strict)).errors if i.code == "tag.whitespace"] == [1, 2]
    loose = make_bag(tmp_path / "b2", {}, bag_info=info, declaration=V097)
    report = bagit.validate_bag(str(loose))
    assert report.valid, bagit.format_report(report)
    assert report.info == [("Source-Organization", "X"), ("Contact-Name", "Y")]


def test_bag_info_continuation_lines_join_the_value(tmp_path):
    info = b"External-Description: first\n  second\n"
    report = bagit.validate_bag(str(make_bag(tmp_path / "b", {}, bag_info=info)))
    assert report.info == [("External-Description", "first\nsecond")]


def test_a_bom_in_bagit_txt_is_an_error_and_elsewhere_a_warning(tmp_path):
    bag = make_bag(tmp_path / "b", {}, declaration=b"\xef\xbb\xbf" + V1, bag_info=b"\xef\xbb\xbfA: b\n")
    report = bagit.validate_bag(str(bag))
    assert "bagit.bom" in codes(report)
    assert "tag.bom" in codes(report, "warning")


def test_bagit_txt_must_be_exactly_two_lines_in_1_0(tmp_path):
    bag = make_bag(tmp_path / "b", {}, declaration=V1 + b"Extra: 1\n")
    assert "bagit.extra_lines" in codes(bagit.validate_bag(str(bag)))


def test_a_tag_file_in_the_wrong_encoding_is_named(tmp_path):
    bag = make_bag(tmp_path / "b", {}, bag_info=b"A: \xff\xfe\n")
    issue = next(i for i in bagit.validate_bag(str(bag)).errors if i.code == "tag.encoding")
    assert issue.file == "bag-info.txt"


def test_manifest_algorithms(tmp_path):
    files = {"data/a.txt": b"a"}
    # Upper-case hex is accepted; a name that is not normalised is not (RFC 8493 §2.4).
    bag = make_bag(tmp_path / "b1", files, manifest_lines={"sha256": [f"{sha(b'a').upper()}  data/a.txt"]})
    assert bagit.validate_bag(str(bag)).valid
    (bag / "manifest-SHA-256.txt").write_text(f"{sha(b'a')}  data/a.txt\n")
    assert "manifest.algorithm_name" in codes(bagit.validate_bag(str(bag)))
    # An algorithm we cannot compute is a warning beside a usable one, an error alone.
    other = make_bag(
        tmp_path / "b2",
        files,
        manifest_lines={"sha256": [f"{sha(b'a')}  data/a.txt"], "foo": ["ab  data/a.txt"]},
    )
    report = bagit.validate_bag(str(other))
    assert report.valid
    assert "manifest.unsupported_algorithm" in codes(report, "warning")
    alone = make_bag(tmp_path / "b3", files, manifest_lines={"foo": ["ab  data/a.txt"]})
    assert "manifest.none_verifiable" in codes(bagit.validate_bag(str(alone)))
    # A checksum of the wrong length for its algorithm.
    short = make_bag(tmp_path / "b4", files, manifest_lines={"sha256": ["abcd  data/a.txt"]})
    assert "manifest.bad_checksum" in codes(bagit.validate_bag(str(short)))


def test_sm3_manifests_are_checked_like_any_other(tmp_path):
    lines = {"sm3": [f"{sha(b'a', 'sm3')}  data/a.txt"]}
    assert bagit.validate_bag(str(make_bag(tmp_path / "b", {"data/a.txt": b"a"}, manifest_lines=lines))).valid


def test_fetch_txt(tmp_path):
    files = {"data/a.txt": b"a"}
    lines = {"sha256": [f"{sha(b'a')}  data/a.txt", f"{sha(b'b')}  data/b.txt"]}
    fetch = b"https://example.org/b.txt 1 data/b.txt\nnot-a-url - data/a.txt\nhttps://example.org/c 3 data/c.txt\n"
    bag = make_bag(tmp_path / "b", files, manifest_lines=lines, extra_tags={"fetch.txt": fetch})
    report = bagit.validate_bag(str(bag))
    found = {(i.code, i.file) for i in report.errors}
    assert ("fetch.unfetched", "data/b.txt") in found  # listed, not fetched: incomplete
    assert ("fetch.bad_url", "fetch.txt") in found
    assert ("fetch.not_in_manifest", "fetch.txt") in found  # data/c.txt is in no manifest
    assert not report.complete


def test_not_a_directory_and_no_data_dir(tmp_path):
    assert "bag.not_a_directory" in codes(bagit.validate_bag(str(tmp_path / "nothing")))
    bag = make_bag(tmp_path / "b", {})
    (bag / "data").rmdir()
    assert "payload.missing_dir" in codes(bagit.validate_bag(str(bag)))


def test_json_report_shape(tmp_path):
    bag = make_bag(tmp_path / "b", {"data/a.txt": b"a"})
    body = bagit.validate_bag(str(bag)).as_dict()
    assert body["valid"] is True
    assert body["payload"] == {"files": 1, "bytes": 1}
    assert body["manifests"] == ["manifest-sha256.txt", "tagmanifest-sha256.txt"]
