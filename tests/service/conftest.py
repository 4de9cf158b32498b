import pytest

from tests.service.imap_server import DovecotServer, dovecot_installed

# A second mailbox user whose password is not ASCII: imaplib's LOGIN cannot
# send it, so the mailbox has to use AUTHENTICATE PLAIN.
CHINESE_USER = "kefu@manyi.test"
CHINESE_PASSWORD = "客服:密码 2024"


@pytest.fixture(scope="session")
def imap_server():
    """A real Dovecot on 127.0.0.1 for the whole session (host, port, user,
    password, append(), clear(), imap())."""
    if not dovecot_installed():
        pytest.skip("dovecot-imapd is not installed")
    server = DovecotServer.start(extra_users={CHINESE_USER: CHINESE_PASSWORD})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def inbox(imap_server):
    """The server with an empty INBOX."""
    imap_server.clear()
    return imap_server
