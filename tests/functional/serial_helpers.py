"""Helpers shared by the serial and transfer tests."""

import datetime

import dns.query
import dns.rdatatype


def today():
    """Today's UTC date as YYYYMMDD; near midnight both candidate days."""
    now = datetime.datetime.now(datetime.timezone.utc)
    days = {now, now - datetime.timedelta(seconds=90), now + datetime.timedelta(seconds=90)}
    return {int(d.strftime("%Y%m%d")) for d in days}


def published(k, zone):
    return k.soa_serial(zone)


def xfr_messages(k, zone, rdtype="AXFR", serial=0, keyring=None, keyname=None):
    """The raw messages of a transfer (dnspython checks TSIG on each)."""
    return list(dns.query.xfr("127.0.0.1", zone, rdtype=rdtype, serial=serial,
                              port=k.port, keyring=keyring, keyname=keyname, timeout=10,
                              lifetime=60, relativize=False))


def axfr_records(k, zone, **kw):
    out = []
    for msg in xfr_messages(k, zone, "AXFR", **kw):
        out += msg.answer
    return out


def soa_serials_of_xfr(k, zone, rdtype="AXFR", serial=0, **kw):
    serials = []
    for msg in xfr_messages(k, zone, rdtype, serial, **kw):
        for rrset in msg.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                serials += [rd.serial for rd in rrset]
    return serials
