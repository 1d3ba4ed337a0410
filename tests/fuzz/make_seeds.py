#!/usr/bin/python3
# Copyright (C) 2026 mod-soa contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Regenerates the seed corpus of the fuzz targets (deterministic).

    /usr/bin/python3 tests/fuzz/make_seeds.py

corpus/wire/ and corpus/xfr_tsig/: DNS responses of the shapes knotd sends
(negative answers with and without DNSSEC, SOA answers, transfer messages,
EDNS, TSIG, compressed and uncompressed owners), built byte by byte with
dnspython's name and RDATA encoders so compression is under control.

corpus/record/: state records (format at the top of module/state.c) followed
by the 25-byte allocation request fuzz_record.c reads from the end of its
input, plus truncated and garbled variants.

Files are named after their content; stale files of a target are removed.
"""

import io
import os
import struct
import sys

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

ORIGIN = dns.name.from_text("example.test.")
IN = dns.rdataclass.IN

QR, AA = 0x8000, 0x0400
NOERROR, NXDOMAIN = 0, 3

ANSWER, AUTHORITY, ADDITIONAL = 0, 1, 2


class Msg:
    """A DNS message written in order: question, then sections."""

    def __init__(self, ident, flags=QR | AA, rcode=NOERROR, compress=True):
        self.ident = ident
        self.flags = flags | rcode
        self.out = io.BytesIO()
        self.out.write(b"\0" * 12)
        self.compress = {} if compress else None
        self.counts = [0, 0, 0, 0]
        self.section = ANSWER

    def question(self, qname, qtype):
        name = dns.name.from_text(qname, ORIGIN)
        name.to_wire(self.out, self.compress)
        self.out.write(struct.pack("!HH", dns.rdatatype.from_text(qtype), IN))
        self.counts[0] += 1
        return self

    def rr(self, section, owner, rdtype, ttl, text=None, raw=None, rdclass=IN,
           compress_owner=True):
        assert section >= self.section, "sections must be written in order"
        self.section = section
        name = dns.name.from_text(owner, ORIGIN)
        name.to_wire(self.out, self.compress if compress_owner else None)
        rdtype = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
        self.out.write(struct.pack("!HHI", rdtype, rdclass, ttl))
        lenpos = self.out.tell()
        self.out.write(b"\0\0")
        if raw is not None:
            self.out.write(raw)
        else:
            rd = dns.rdata.from_text(rdclass, rdtype, text, origin=ORIGIN, relativize=False)
            rd.to_wire(self.out, self.compress, None)
        end = self.out.tell()
        self.out.seek(lenpos)
        self.out.write(struct.pack("!H", end - lenpos - 2))
        self.out.seek(end)
        self.counts[1 + section] += 1
        return self

    def opt(self, size=1232, do=False, options=b""):
        return self.rr(ADDITIONAL, ".", "OPT", 0x8000 if do else 0, raw=options,
                       rdclass=size)

    def tsig(self, mac_len=32, error=0, other=b""):
        """A TSIG RR of the fuzz key (the MAC is not valid; libknot only parses it)."""
        raw = io.BytesIO()
        dns.name.from_text("hmac-sha256.").to_wire(raw)
        raw.write(struct.pack("!HI", 0, 1763683200))   # time signed (48 bits)
        raw.write(struct.pack("!HH", 300, mac_len))
        raw.write(bytes((i * 7 + 3) & 0xFF for i in range(mac_len)))
        raw.write(struct.pack("!HHH", self.ident, error, len(other)))
        raw.write(other)
        return self.rr(ADDITIONAL, "fuzz.", "TSIG", 0, raw=raw.getvalue(),
                       rdclass=dns.rdataclass.ANY, compress_owner=False)

    def wire(self):
        data = bytearray(self.out.getvalue())
        struct.pack_into("!HHHHHH", data, 0, self.ident, self.flags, *self.counts)
        return bytes(data)


def soa(serial, mname="ns1", rname="hostmaster", minimum=300):
    return "%s %s %d 7200 3600 1209600 %d" % (mname, rname, serial, minimum)


def rrsig(covered, owner_labels=2, orig_ttl=3600):
    sig = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v"
    return "%s 13 %d %d 20261201000000 20261101000000 12345 example.test. %s" % (
        covered, owner_labels, orig_ttl, sig)


COOKIE = struct.pack("!HH", 10, 8) + bytes(range(8))


def dns_messages():
    """(name, wire) pairs."""
    out = []

    def add(name, msg):
        out.append((name, msg.wire()))

    s = 2026112100

    # Negative answers.
    add("nxdomain-soa", Msg(0x0100, rcode=NXDOMAIN).question("nope", "A")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s)))
    add("nxdomain-soa-edns", Msg(0x0201, rcode=NXDOMAIN).question("nope", "AAAA")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s)).opt())
    add("nxdomain-soa-cookie", Msg(0x0302, rcode=NXDOMAIN).question("a.b.nope", "TXT")
        .rr(AUTHORITY, "@", "SOA", 86400, soa(501)).opt(4096, True, COOKIE))
    add("nodata-soa-uncompressed", Msg(0x0403, compress=False).question("www", "MX")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s)))
    add("nodata-soa-owner-uncompressed", Msg(0x0504).question("www", "MX")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s), compress_owner=False))
    add("nodata-nsec", Msg(0x0605).question("www", "MX")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s))
        .rr(AUTHORITY, "@", "RRSIG", 3600, rrsig("SOA"))
        .rr(AUTHORITY, "www", "NSEC", 3600, "zz A RRSIG NSEC")
        .rr(AUTHORITY, "www", "RRSIG", 3600, rrsig("NSEC", 3))
        .opt(1232, True))
    m = Msg(0x0706, rcode=NXDOMAIN).question("nope", "A") \
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s)) \
        .rr(AUTHORITY, "@", "RRSIG", 3600, rrsig("SOA"))
    for h in ("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "35mthgpgcu1qg68fab165klnsnk3dpvl",
              "vaittv1g2ies9s3920soaumh73klnhs5"):
        m.rr(AUTHORITY, h, "NSEC3", 3600, "1 0 0 - 0P9MHAVEQVM6T7VBL5LOP2U3T2RP3TON A RRSIG")
        m.rr(AUTHORITY, h, "RRSIG", 3600, rrsig("NSEC3", 3))
    add("nxdomain-nsec3", m.opt(1232, True))
    m = Msg(0x0807).question("www", "MX").rr(AUTHORITY, "@", "SOA", 3600, soa(s))
    for i in range(40):
        m.rr(AUTHORITY, "n%02d" % i, "NSEC", 3600, "n%02d A" % (i + 1))
    add("nodata-40-nsec", m)
    add("nodata-rrsig-a-only", Msg(0x0908).question("www", "MX")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s))
        .rr(AUTHORITY, "www", "RRSIG", 3600, rrsig("A", 3))
        .rr(AUTHORITY, "www", "RRSIG", 3600, rrsig("SOA", 3)))
    add("nxdomain-two-soa", Msg(0x0a09, rcode=NXDOMAIN).question("nope", "A")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s))
        .rr(AUTHORITY, "@", "SOA", 60, soa(s + 1)))
    add("nxdomain-soa-root-names", Msg(0x0b0a, rcode=NXDOMAIN).question("nope", "A")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s, ".", ".")))
    add("nxdomain-soa-ch", Msg(0x0c0b, rcode=NXDOMAIN).question("nope", "A")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s), rdclass=dns.rdataclass.CH))
    add("nxdomain-soa-tsig", Msg(0x0d0c, rcode=NXDOMAIN).question("nope", "A")
        .rr(AUTHORITY, "@", "SOA", 3600, soa(s)).opt().tsig())

    # SOA answers.
    add("soa-answer", Msg(0x0e0d).question("@", "SOA")
        .rr(ANSWER, "@", "SOA", 3600, soa(s))
        .rr(AUTHORITY, "@", "NS", 3600, "ns1").rr(AUTHORITY, "@", "NS", 3600, "ns2")
        .rr(ADDITIONAL, "ns1", "A", 3600, "192.0.2.1")
        .rr(ADDITIONAL, "ns1", "AAAA", 3600, "2001:db8::1")
        .rr(ADDITIONAL, "ns2", "A", 3600, "192.0.2.2"))
    add("soa-answer-dnssec", Msg(0x0f0e).question("@", "SOA")
        .rr(ANSWER, "@", "SOA", 3600, soa(s))
        .rr(ANSWER, "@", "RRSIG", 3600, rrsig("SOA")).opt(1232, True))
    add("soa-answer-uncompressed", Msg(0x100f, compress=False).question("@", "SOA")
        .rr(ANSWER, "@", "SOA", 3600, soa(501)).opt())
    add("soa-answer-root-names", Msg(0x1110).question("@", "SOA")
        .rr(ANSWER, "@", "SOA", 0, soa(0xFFFFFFFF, ".", ".", 0)))
    add("soa-answer-no-question", Msg(0x1211)
        .rr(ANSWER, "@", "SOA", 3600, soa(s)))
    add("soa-answer-three", Msg(0x1312).question("@", "ANY")
        .rr(ANSWER, "@", "SOA", 3600, soa(s))
        .rr(ANSWER, "@", "NS", 3600, "ns1")
        .rr(ANSWER, "@", "SOA", 3600, soa(s))
        .rr(ANSWER, "@", "SOA", 3600, soa(7)))
    add("soa-in-additional", Msg(0x1413).question("www", "A")
        .rr(ANSWER, "www", "A", 60, "192.0.2.7")
        .rr(ADDITIONAL, "@", "SOA", 3600, soa(s)))
    add("soa-answer-tsig", Msg(0x1514).question("@", "SOA")
        .rr(ANSWER, "@", "SOA", 3600, soa(s)).tsig())

    # Positive answers and referrals (the floor).
    add("a-answer", Msg(0x1615).question("www", "A")
        .rr(ANSWER, "www", "A", 60, "192.0.2.1")
        .rr(ANSWER, "www", "A", 60, "192.0.2.2")
        .rr(ANSWER, "www", "A", 60, "192.0.2.3")
        .rr(AUTHORITY, "@", "NS", 600, "ns1")
        .rr(ADDITIONAL, "ns1", "A", 10, "192.0.2.53").opt())
    add("cname-chain", Msg(0x1716).question("alias", "A")
        .rr(ANSWER, "alias", "CNAME", 300, "www")
        .rr(ANSWER, "www", "A", 0, "192.0.2.1")
        .rr(ANSWER, "www", "A", 0x7FFFFFFF, "192.0.2.2"))
    add("referral", Msg(0x1817, flags=QR).question("a.sub", "A")
        .rr(AUTHORITY, "sub", "NS", 86400, "ns.sub")
        .rr(AUTHORITY, "sub", "DS", 86400, "12345 13 2 " + "ab" * 32)
        .rr(ADDITIONAL, "ns.sub", "A", 86400, "192.0.2.9"))
    add("txt-long", Msg(0x1918).question("txt", "TXT")
        .rr(ANSWER, "txt", "TXT", 5, '"%s" "%s"' % ("x" * 255, "y" * 100)))
    add("empty-noerror", Msg(0x1a19).question("www", "A"))
    add("header-only", Msg(0x1b1a))

    # Transfers: SOA first and last.
    def axfr(ident, serial, body=True, compress=True):
        m = Msg(ident, compress=compress).question("@", "AXFR")
        m.rr(ANSWER, "@", "SOA", 3600, soa(serial))
        if body:
            m.rr(ANSWER, "@", "NS", 3600, "ns1").rr(ANSWER, "@", "NS", 3600, "ns2")
            m.rr(ANSWER, "@", "MX", 3600, "10 mail")
            m.rr(ANSWER, "ns1", "A", 3600, "192.0.2.1")
            m.rr(ANSWER, "ns2", "AAAA", 3600, "2001:db8::2")
            m.rr(ANSWER, "www", "A", 60, "192.0.2.80")
            m.rr(ANSWER, "www", "A", 60, "192.0.2.81")
            m.rr(ANSWER, "www", "TXT", 60, '"v=spf1 -all"')
        m.rr(ANSWER, "@", "SOA", 3600, soa(serial))
        return m

    add("axfr", axfr(0x1c1b, s))
    add("axfr-uncompressed", axfr(0x1d1c, 501, compress=False))
    add("axfr-soa-only", axfr(0x1e1d, s, body=False))
    add("axfr-tsig", axfr(0x1f1e, s).tsig())
    add("axfr-edns", axfr(0x201f, 4294967295).opt())
    add("axfr-middle", Msg(0x2120).question("@", "AXFR")
        .rr(ANSWER, "a", "A", 60, "192.0.2.1").rr(ANSWER, "b", "A", 60, "192.0.2.2")
        .rr(ANSWER, "c", "CNAME", 60, "a"))
    add("axfr-last", Msg(0x2221).question("@", "AXFR")
        .rr(ANSWER, "z", "A", 60, "192.0.2.1").rr(ANSWER, "@", "SOA", 3600, soa(s)))
    add("axfr-dnssec", Msg(0x2322).question("@", "AXFR")
        .rr(ANSWER, "@", "SOA", 3600, soa(s))
        .rr(ANSWER, "@", "RRSIG", 3600, rrsig("SOA"))
        .rr(ANSWER, "@", "NSEC", 3600, "www NS SOA RRSIG NSEC DNSKEY")
        .rr(ANSWER, "@", "RRSIG", 3600, rrsig("NSEC"))
        .rr(ANSWER, "@", "SOA", 3600, soa(s)))
    add("ixfr", Msg(0x2423).question("@", "IXFR")
        .rr(ANSWER, "@", "SOA", 3600, soa(s + 1))
        .rr(ANSWER, "@", "SOA", 3600, soa(s))
        .rr(ANSWER, "www", "A", 60, "192.0.2.80")
        .rr(ANSWER, "@", "SOA", 3600, soa(s + 1))
        .rr(ANSWER, "www", "A", 60, "192.0.2.90")
        .rr(ANSWER, "@", "SOA", 3600, soa(s + 1)))
    add("ixfr-tsig", Msg(0x2524).question("@", "IXFR")
        .rr(ANSWER, "@", "SOA", 3600, soa(503))
        .rr(ANSWER, "@", "SOA", 3600, soa(502))
        .rr(ANSWER, "@", "SOA", 3600, soa(503))
        .rr(ANSWER, "@", "SOA", 3600, soa(503)).tsig())
    add("ixfr-up-to-date", Msg(0x2625).question("@", "IXFR")
        .rr(ANSWER, "@", "SOA", 3600, soa(s)))
    add("xfr-badtime", Msg(0x2727, rcode=9).question("@", "AXFR")
        .tsig(error=18, other=struct.pack("!HI", 0, 1763683500)))
    return out


# State records.

REQ = struct.Struct("!BIIIqI")  # flags real today floor now lost: 25 bytes
assert REQ.size == 25


def item(t, value):
    return struct.pack("!BH", t, len(value)) + value


def record(real, pub, mode=0, updated=1763683200, hist=None, version=1, extra=b""):
    if hist is None:
        hist = [(real, pub)]
    body = item(1, struct.pack("!IIB", real, pub, mode))
    body += item(2, struct.pack("!Q", updated))
    body += item(3, b"".join(struct.pack("!II", r, p) for r, p in hist))
    return bytes([version]) + body + extra


def req(flags=0, real=0, today=20261121, floor=0, now=1763683200, lost=0):
    return REQ.pack(flags, real & 0xFFFFFFFF, today, floor & 0xFFFFFFFF, now, lost & 0xFFFFFFFF)


def records():
    out = []
    doc = bytes.fromhex("01"
                        "010009000001f578c4046400"
                        "02000800000000691fab80"
                        + "030008000001f578c40464")
    assert doc == record(501, 2026112100)
    chain = [(i - 22 & 0xFFFFFFFF, 2026112100 + i) for i in range(31)] + [(9, 2026112131)]
    long_chain = [(i, 2026112100 + i) for i in range(40)]
    seeds = {
        "doc-same": doc + req(0x08),
        "doc-next-real": doc + req(0x10, real=1),
        "doc-real-502": doc + req(0, real=502),
        "doc-date-real": doc + req(0, real=2026112205),
        "doc-signed": doc + req(0x02, real=501),
        "doc-floor-above": doc + req(0x48, floor=5),
        "doc-floor-far": doc + req(0x08, floor=4200000000),
        "doc-today-from-now": doc + req(0x30, real=7, now=1790000000),
        "doc-real-is-published": doc + req(0x80, real=3),
        "null-new-zone": doc + req(0x01, real=2026112100),
        "null-lost": doc + req(0x05, real=501, lost=2026112107),
        "null-lost-wrap": doc + req(0x05, real=0xFFFFFFF0, lost=0x7FFFFFFF),
        "null-signed": doc + req(0x03, real=12),
        "kept": record(4000000000, 4000000000, 1) + req(0x10, real=1),
        "kept-same": record(4000000000, 4000000000, 1) + req(0x08),
        "kept-incomparable": record(5, 5 + 0x80000000, 1) + req(0, real=5 + 0x80000000 + 1),
        "signed": record(77, 77, 2) + req(0x10, real=1),
        "signed-to-unsigned": record(2026112100, 2026112100, 2) + req(0x08),
        "signed-stays": record(77, 77, 2) + req(0x0a),
        "full-history": record(9, 2026112131, 0, 42, chain) + req(0x10, real=1),
        "long-history": record(39, 2026112139, 0, 42, long_chain) + req(0x10, real=3),
        "history-not-current": record(7, 8, 0, 1, [(1, 2), (3, 4)]) + req(0x10, real=1),
        "history-empty": record(7, 8, 0, 1, []) + req(0),
        "no-history-item": doc[:1 + 12 + 11] + req(0x10, real=1),
        "current-only": doc[:1 + 12] + req(0x08),
        "unknown-item": doc + item(0x7F, b"xyz") + req(0x10, real=9),
        "unknown-item-empty": doc + item(0xFF, b"") + req(0),
        "two-current": doc + item(1, struct.pack("!IIB", 1, 2, 1)) + req(0x10, real=1),
        "published-wrap": record(3, 0xFFFFFFFF) + req(0x10, real=1),
        "published-zero": record(0, 0) + req(0x10, real=1, floor=1),
        "today-max": doc + req(0x10, real=1, today=0xFFFFFFFF),
    }
    # Garbled: each is also a bare record (the whole input decodes as one).
    bad = {
        "bad-empty": b"",
        "bad-version-2": b"\x02" + doc[1:],
        "bad-version-0": b"\x00",
        "bad-mode-3": record(1, 2, 3),
        "bad-current-len-8": b"\x01" + item(1, b"\0" * 8),
        "bad-updated-len-7": doc[:13] + item(2, b"\0" * 7),
        "bad-history-len-7": doc[:24] + item(3, b"\0" * 7),
        "bad-item-past-end": doc[:13] + b"\x02\x00\x09" + b"\0" * 8,
        "bad-item-header-cut": doc + b"\x03\x00",
        "bad-no-current": b"\x01" + item(2, b"\0" * 8),
    }
    for cut in (1, 2, 4, 12, 13, 20, 24, 30, len(doc) - 1):
        bad["cut-%02d" % cut] = doc[:cut]
    for name, data in bad.items():
        seeds[name] = data
        seeds[name + "+req"] = data + req(0x10, real=1)
    return sorted(seeds.items())


def pointer_into_serial():
    """An AXFR message whose second owner is compressed through the last byte
    of the first SOA's SERIAL (knotd never compresses into RDATA numbers).

    SERIAL 0 makes that byte a root label. After +1 (fuzz_xfr_tsig) it is a
    label of length 1 followed by REFRESH bytes C0 FF, a forward pointer;
    after -1 (fuzz_wire) it is 0xFF. The validation walk of
    soa_wire_xfr_map() accepts the message, the write walk fails after the
    first SERIAL was written.
    """
    w = bytearray(struct.pack("!HHHHHH", 0x2a2a, QR | AA, 1, 3, 0, 0))
    w += b"\x07example\x04test\x00" + struct.pack("!HH", 252, IN)
    w += b"\xc0\x0c" + struct.pack("!HHIH", 6, IN, 3600, 24) + b"\xc0\x0c\xc0\x0c"
    serial_off = len(w)
    w += struct.pack("!IIIII", 0, 0x00C0FF00, 3600, 1209600, 300)
    w += b"\x01x" + struct.pack("!H", 0xC000 | (serial_off + 3))
    w += struct.pack("!HHIH", 1, IN, 60, 4) + bytes([192, 0, 2, 1])
    w += b"\xc0\x0c" + struct.pack("!HHIH", 6, IN, 3600, 24) + b"\xc0\x0c\xc0\x0c"
    w += struct.pack("!IIIII", 7, 7200, 3600, 1209600, 300)
    return bytes(w)


def checks():
    """Answers to a replica check (SOA query for the zone): (name, wire)."""
    out = []

    def add(name, msg):
        out.append((name, msg.wire()))

    s = 2026113003
    add("check-current", Msg(0x1001).question("@", "SOA").rr(ANSWER, "@", "SOA", 3600, soa(s)))
    add("check-ahead", Msg(0x1002).question("@", "SOA")
        .rr(ANSWER, "@", "SOA", 3600, soa(2099010100)))
    add("check-refused", Msg(0x1003, flags=QR, rcode=5).question("@", "SOA"))
    add("check-not-auth", Msg(0x1004, flags=QR).question("@", "SOA")
        .rr(ANSWER, "@", "SOA", 3600, soa(s)))
    add("check-no-soa", Msg(0x1005).question("@", "SOA")
        .rr(AUTHORITY, "@", "NS", 3600, "ns1"))
    add("check-edns", Msg(0x1006).question("@", "SOA").rr(ANSWER, "@", "SOA", 3600, soa(s)).opt())
    add("check-badsig", Msg(0x1007, flags=QR, rcode=9).question("@", "SOA").tsig(0, 16))
    add("check-signed", Msg(0x1008).question("@", "SOA").rr(ANSWER, "@", "SOA", 3600, soa(s))
        .tsig())
    return out


def write_crashes():
    """Hand-made reproducers (the fuzzer-found ones in crashes/ are kept)."""
    d = os.path.join(HERE, "crashes")
    os.makedirs(d, exist_ok=True)
    for name in ("wire-xfr-map-pointer-into-serial", "xfr_tsig-edit-pointer-into-serial"):
        with open(os.path.join(d, name), "wb") as f:
            f.write(pointer_into_serial())
    print("crashes/: hand-made reproducers written")


def write(target, items):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    names = set()
    for name, data in items:
        names.add(name)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    for old in os.listdir(d):
        if old not in names:
            os.remove(os.path.join(d, old))
    print("corpus/%s: %d files, %d bytes" % (target, len(items), sum(len(x) for _, x in items)))


def main():
    msgs = dns_messages()
    write("wire", msgs)
    # The transfer target gets every message too: SOA-less and negative ones
    # exercise the "nothing to edit" paths.
    write("xfr_tsig", msgs)
    write("record", records())
    write("check", checks() + msgs)
    write_crashes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
