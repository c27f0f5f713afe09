"""A throw-away certificate authority and server certificate for bundled servers over HTTPS.

``make_certificate`` writes a CA certificate (what a client trusts: ``--ca-bundle``), and a
server certificate and key signed by it, valid for loopback names; with ``client=True`` also a
client certificate and key signed by the same CA (for mutual TLS: ``--client-cert``). It uses
the ``cryptography`` package when it is installed, otherwise the ``openssl`` command.
"""

from __future__ import annotations

import ipaddress
import secrets
import shutil
import ssl
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conformance.errors import UsageError

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
VALID_DAYS = 7


@dataclass(frozen=True)
class CertificateFiles:
    """PEM files: the CA certificate to trust, the server's certificate chain and key, and
    (when asked for) a client certificate and key signed by the same CA."""

    ca_cert: Path
    cert: Path
    key: Path
    client_cert: Path | None = None
    client_key: Path | None = None

    def server_context(self, require_client_cert: bool = False) -> ssl.SSLContext:
        """A server context; with ``require_client_cert`` the handshake fails unless the
        client presents a certificate signed by this CA (mutual TLS)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert, self.key)
        if require_client_cert:
            context.load_verify_locations(cafile=str(self.ca_cert))
            context.verify_mode = ssl.CERT_REQUIRED
        return context


def _names(hosts: tuple[str, ...]) -> tuple[list[str], list[str]]:
    dns, ips = [], []
    for host in dict.fromkeys((*hosts, *DEFAULT_HOSTS)):
        try:
            ips.append(str(ipaddress.ip_address(host)))
        except ValueError:
            dns.append(host)
    return dns, ips


def make_certificate(
    directory: str | Path, hosts: tuple[str, ...] = (), *, client: bool = False
) -> CertificateFiles:
    """Write ``ca.pem``, ``server.pem`` and ``server.key`` into ``directory``, and with
    ``client`` also ``client.pem`` and ``client.key``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    files = CertificateFiles(
        folder / "ca.pem",
        folder / "server.pem",
        folder / "server.key",
        folder / "client.pem" if client else None,
        folder / "client.key" if client else None,
    )
    try:
        import cryptography  # noqa: F401
    except ImportError:
        _with_openssl(files, hosts)
    else:
        _with_cryptography(files, hosts)
    return files


def _with_cryptography(files: CertificateFiles, hosts: tuple[str, ...]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC) - timedelta(minutes=5)
    until = now + timedelta(days=VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "actionconform test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    dns, ips = _names(hosts)
    alternative: list[x509.GeneralName] = [x509.DNSName(name) for name in dns]
    alternative += [x509.IPAddress(ipaddress.ip_address(address)) for address in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files.ca_cert.write_bytes(ca_cert.public_bytes(pem))
    files.cert.write_bytes(cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    files.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    files.key.chmod(0o600)
    if files.client_cert is None or files.client_key is None:
        return
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "actionconform client")])
    client_cert = (
        x509.CertificateBuilder()
        .subject_name(client_name)
        .issuer_name(ca_name)
        .public_key(client_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files.client_cert.write_bytes(client_cert.public_bytes(pem))
    files.client_key.write_bytes(
        client_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    files.client_key.chmod(0o600)


def _with_openssl(files: CertificateFiles, hosts: tuple[str, ...]) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise UsageError("--tls needs the 'cryptography' package or the 'openssl' command")
    dns, ips = _names(hosts)
    alternative = ",".join([f"DNS:{name}" for name in dns] + [f"IP:{ip}" for ip in ips])
    with tempfile.TemporaryDirectory(prefix="actionconform-tls-") as work:
        ca_key = Path(work) / "ca.key"
        request = Path(work) / "server.csr"
        extensions = Path(work) / "server.ext"
        extensions.write_text(
            "basicConstraints=critical,CA:FALSE\n"
            f"subjectAltName={alternative}\n"
            "extendedKeyUsage=serverAuth\n"
            "authorityKeyIdentifier=keyid\n",
            encoding="ascii",
        )
        curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        steps = [
            [openssl, "req", "-x509", *curve, "-keyout", str(ca_key), "-out", str(files.ca_cert),
             "-days", str(VALID_DAYS), "-subj", "/CN=actionconform test CA",
             "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"],
            [openssl, "req", "-new", *curve, "-keyout", str(files.key), "-out", str(request),
             "-subj", "/CN=localhost"],
            [openssl, "x509", "-req", "-in", str(request), "-CA", str(files.ca_cert),
             "-CAkey", str(ca_key), "-set_serial", f"0x{secrets.token_hex(16)}",
             "-out", str(files.cert), "-days", str(VALID_DAYS), "-extfile", str(extensions)],
        ]  # fmt: skip
        if files.client_cert is not None and files.client_key is not None:
            client_request = Path(work) / "client.csr"
            client_extensions = Path(work) / "client.ext"
            client_extensions.write_text(
                "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n",
                encoding="ascii",
            )
            steps += [
                [openssl, "req", "-new", *curve, "-keyout", str(files.client_key),
                 "-out", str(client_request), "-subj", "/CN=actionconform client"],
                [openssl, "x509", "-req", "-in", str(client_request), "-CA", str(files.ca_cert),
                 "-CAkey", str(ca_key), "-set_serial", f"0x{secrets.token_hex(16)}",
                 "-out", str(files.client_cert), "-days", str(VALID_DAYS),
                 "-extfile", str(client_extensions)],
            ]  # fmt: skip
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, cwd=work, check=False)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["failed"])[-1]
                raise UsageError(f"cannot make a test certificate with openssl: {last}")
    files.key.chmod(0o600)
    if files.client_key is not None:
        files.client_key.chmod(0o600)
    files.cert.write_text(
        files.cert.read_text(encoding="ascii") + files.ca_cert.read_text(encoding="ascii"),
        encoding="ascii",
    )
