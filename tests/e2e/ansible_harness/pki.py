"""A throwaway CA and collector certificates for the test estate, in the file names tracegen's VM
configs expect by default (topology.tls.vm): every collector presents collector.crt/collector.key
(server and client authentication: agent -> gateway is mutual TLS) and trusts ca.crt."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class Authority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, name: str = "tracegen e2e CA") -> "Authority":
        now = datetime.datetime.now(datetime.timezone.utc)
        key = ec.generate_private_key(ec.SECP256R1())
        usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                              key_encipherment=False, data_encipherment=False, key_agreement=False,
                              encipher_only=False, decipher_only=False)
        cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(usage, critical=True)
                .sign(key, hashes.SHA256()))
        return cls(key, cert)

    def issue(self, directory: Path, names: list[str], cert: str, key: str, ca: str) -> None:
        """A certificate for `names` (server and client auth) as `cert`/`key`, and this CA as `ca`."""
        directory.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        private = ec.generate_private_key(ec.SECP256R1())
        issued = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(self.cert.subject)
                  .public_key(private.public_key()).serial_number(x509.random_serial_number())
                  .not_valid_before(now - datetime.timedelta(minutes=5))
                  .not_valid_after(now + datetime.timedelta(days=1))
                  .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
                  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                        ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                  .sign(self.key, hashes.SHA256()))
        (directory / ca).write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        (directory / cert).write_bytes(issued.public_bytes(serialization.Encoding.PEM))
        (directory / key).write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                                            serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
        (directory / key).chmod(0o600)


def write_tls(directory: Path, names: list[str], authority: Authority | None = None) -> Authority:
    """ca.crt, collector.crt and collector.key (valid for `names`) in `directory`."""
    authority = authority or Authority.create()
    authority.issue(directory, names, "collector.crt", "collector.key", "ca.crt")
    return authority
