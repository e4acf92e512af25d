"""A real WordPress (Debian's package) served by `php -S`, installed by the test itself.

Nothing here touches another WordPress on the machine: the database and its user are
the test's own (created and dropped here), the configuration file is chosen through
Debian's ``WORDPRESS_CONFIG`` variable under a random name, and wp-content is a folder
of the test's own (plugins linked in from the repository and Debian's package).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = ROOT / "integrations" / "wordpress" / "modq"
BRIDGE = ROOT / "integrations" / "wordpress" / "modq-akismet-bridge.php"
WORDPRESS = Path("/usr/share/wordpress")
DEBIAN_CONTENT = Path("/usr/share/wordpress/wp-content")
CONFIG_DIR = Path("/etc/wordpress")
ADMIN = ("admin", "admin-password-for-tests")

# The test's own must-use plugin: no flood control (php -S sees every visitor as
# 127.0.0.1), no e-mail (no MTA here), and WP-Cron re-sends at once when run.
TEST_MU_PLUGIN = """<?php
add_filter( 'comment_flood_filter', '__return_false' );
add_filter( 'pre_wp_mail', '__return_true' );
add_filter( 'modq_retry_delay', function () { return 0; } );
"""


def missing() -> str | None:
    """Why WordPress cannot run here, or None."""
    if shutil.which("php") is None:
        return "php is not installed (apt-get install php-cli php-mysql)"
    if not (WORDPRESS / "wp-config.php").exists():
        return "Debian's wordpress package is not installed (apt-get install wordpress)"
    if shutil.which("mysql") is None:
        return "the mysql/mariadb client is not installed"
    if not os.access(CONFIG_DIR, os.W_OK):
        return f"{CONFIG_DIR} is not writable (Debian's WordPress reads its config there)"
    probe = subprocess.run(
        ["mysql", "-h127.0.0.1", "-P3306", "-uroot", "-e", "SELECT 1"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        return "no MariaDB on 127.0.0.1:3306 for root without a password"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WordPress:
    """One WordPress site: its database, config, content folder and php -S server."""

    def __init__(self, directory: Path) -> None:
        self.name = "modqtest" + secrets.token_hex(6)
        self.password = secrets.token_hex(12)
        self.directory = directory
        self.content = directory / "wp-content"
        self.port = _free_port()
        self.config = CONFIG_DIR / f"config-{self.name}.php"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = directory / "php.log"

    @property
    def url(self) -> str:
        """The site's address."""
        return f"http://127.0.0.1:{self.port}"

    def sql(self, statement: str, database: bool = True) -> str:
        """Run SQL as root (tab-separated rows, no header)."""
        command = ["mysql", "-h127.0.0.1", "-P3306", "-uroot", "-N", "-B", "-r", "-e", statement]
        if database:
            command.insert(1, self.name)
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return done.stdout

    def setup(self, plugins: list[str], mu_plugins: dict[str, str] | None = None) -> None:
        """Create the database, config and content folder, serve, install, activate."""
        self.sql(f"CREATE DATABASE `{self.name}`", database=False)
        self.sql(
            f"CREATE USER '{self.name}'@'127.0.0.1' IDENTIFIED BY '{self.password}';"
            f"GRANT ALL ON `{self.name}`.* TO '{self.name}'@'127.0.0.1'",
            database=False,
        )
        (self.content / "plugins").mkdir(parents=True)
        (self.content / "mu-plugins").mkdir()
        (self.content / "uploads").mkdir()
        (self.content / "plugins" / "modq").symlink_to(PLUGIN)
        (self.content / "plugins" / "akismet").symlink_to(DEBIAN_CONTENT / "plugins" / "akismet")
        (self.content / "themes").symlink_to(DEBIAN_CONTENT / "themes")
        (self.content / "mu-plugins" / "modq-test.php").write_text(TEST_MU_PLUGIN)
        for name, text in (mu_plugins or {}).items():
            (self.content / "mu-plugins" / name).write_text(text)
        self.config.write_text(
            "<?php\n"
            f"define('DB_NAME', '{self.name}');\n"
            f"define('DB_USER', '{self.name}');\n"
            f"define('DB_PASSWORD', '{self.password}');\n"
            "define('DB_HOST', '127.0.0.1');\n"
            f"define('WP_CONTENT_DIR', '{self.content}');\n"
            f"define('WP_HOME', '{self.url}');\n"
            f"define('WP_SITEURL', '{self.url}');\n"
            "define('DISABLE_WP_CRON', true);\n"
            "define('WP_DEBUG', true);\n"
            "define('WP_DEBUG_DISPLAY', false);\n"
            f"define('WP_DEBUG_LOG', '{self.directory / 'debug.log'}');\n"
        )
        self._serve()
        answer = requests.post(
            f"{self.url}/wp-admin/install.php?step=2",
            data={
                "weblog_title": "modq test blog",
                "user_name": ADMIN[0],
                "admin_password": ADMIN[1],
                "admin_password2": ADMIN[1],
                "pw_weak": "1",
                "admin_email": "admin@example.com",
                "blog_public": "0",
            },
            timeout=60,
        )
        if "Success" not in answer.text:
            raise RuntimeError(
                f"WordPress did not install: {answer.status_code} {answer.text[:500]}"
            )
        self.set_option("active_plugins", _php_array(plugins))

    def _serve(self) -> None:
        # Debian's wp-config.php takes WORDPRESS_CONFIG from $_SERVER, where php -S puts
        # no environment variable: a router script sets it, then lets php -S go on.
        router = self.directory / "router.php"
        router.write_text(
            "<?php\n$_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');\nreturn false;\n"
        )
        env = dict(os.environ, WORDPRESS_CONFIG=self.name, PHP_CLI_SERVER_WORKERS="4")
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(WORDPRESS), str(router)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its workers (PHP_CLI_SERVER_WORKERS) stop with it
        )
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/wp-login.php", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("php -S did not start")

    def set_option(self, name: str, value: str) -> None:
        """Write one option (a string, or PHP-serialized data) straight into the database."""
        quoted = value.replace("\\", "\\\\").replace("'", "\\'")
        self.sql(
            "INSERT INTO wp_options (option_name, option_value, autoload) "
            f"VALUES ('{name}', '{quoted}', 'yes') "
            f"ON DUPLICATE KEY UPDATE option_value = '{quoted}'"
        )

    def post_comment(self, text: str, author: str = "Pat", email: str = "pat@example.com") -> int:
        """Post a comment on "Hello world!" through wp-comments-post.php; its id."""
        before = self.last_comment_id()
        answer = requests.post(
            f"{self.url}/wp-comments-post.php",
            data={
                "comment": text,
                "author": author,
                "email": email,
                "url": "",
                "comment_post_ID": "1",
                "comment_parent": "0",
            },
            headers={"User-Agent": "Mozilla/5.0 (modq test)", "Referer": f"{self.url}/?p=1"},
            allow_redirects=False,
            timeout=60,
        )
        assert answer.status_code == 302, answer.text[:1000]
        after = self.last_comment_id()
        assert after > before
        return after

    def last_comment_id(self) -> int:
        """The newest comment's id (0 if none)."""
        return int(self.sql("SELECT COALESCE(MAX(comment_ID), 0) FROM wp_comments").strip())

    def comment_status(self, comment_id: int) -> str:
        """wp_comments.comment_approved: 1, 0, spam or trash."""
        return self.sql(
            f"SELECT comment_approved FROM wp_comments WHERE comment_ID={comment_id}"
        ).strip()

    def meta(self, comment_id: int, key: str) -> str:
        """One comment meta value ('' if absent)."""
        return self.sql(
            f"SELECT meta_value FROM wp_commentmeta WHERE comment_id={comment_id} "
            f"AND meta_key='{key}' LIMIT 1"
        ).strip()

    def wait_for_status(self, comment_id: int, status: str, timeout: float = 20.0) -> None:
        """Wait until the comment has ``status``; AssertionError otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.comment_status(comment_id) == status:
                return
            time.sleep(0.1)
        raise AssertionError(
            f"comment {comment_id} is {self.comment_status(comment_id)!r}, not {status!r}; "
            f"log: {self.log_text()[-2000:]}"
        )

    def run_cron(self) -> None:
        """Run due WP-Cron events (the site's own cron is off: DISABLE_WP_CRON), as a
        system cron job does: no doing_wp_cron parameter, so wp-cron.php takes its lock."""
        time.sleep(1.1)  # events are due at whole seconds
        requests.get(f"{self.url}/wp-cron.php", timeout=60)

    def admin_session(self) -> requests.Session:
        """A logged-in administrator."""
        session = requests.Session()
        session.cookies.set("wordpress_test_cookie", "WP Cookie check")
        answer = session.post(
            f"{self.url}/wp-login.php",
            data={"log": ADMIN[0], "pwd": ADMIN[1], "wp-submit": "Log In", "testcookie": "1"},
            allow_redirects=False,
            timeout=60,
        )
        assert answer.status_code == 302, answer.text[:500]
        return session

    def log_text(self) -> str:
        """php -S's output and WordPress's debug log."""
        parts = [self.log_path, self.directory / "debug.log"]
        return "\n".join(p.read_text(errors="replace") for p in parts if p.exists())

    def teardown(self) -> None:
        """Stop the server; drop the database, its user and the config file."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.config.unlink(missing_ok=True)
        self.sql(f"DROP DATABASE IF EXISTS `{self.name}`", database=False)
        self.sql(f"DROP USER IF EXISTS '{self.name}'@'127.0.0.1'", database=False)


def _php_array(values: list[str]) -> str:
    """A list of strings, PHP-serialized (as WordPress stores active_plugins)."""
    items = "".join(f'i:{i};s:{len(v.encode())}:"{v}";' for i, v in enumerate(values))
    return f"a:{len(values)}:{{{items}}}"


def json_meta(value: str) -> Any:
    """A JSON comment meta value, decoded."""
    import json

    return json.loads(value) if value else None
