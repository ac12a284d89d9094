"""Development e-mail backend: each message becomes one ``.eml`` file under
``EMAIL_FILE_PATH``, which any mail client (or a browser) opens with its attachments."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

_lock = threading.Lock()


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            subject = re.sub(r"[^\w\-]+", "_", str(message.subject))[:60].strip("_") or "message"
            with _lock:
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
                target = self.folder / f"{stamp}-{subject}.eml"
                target.write_bytes(message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent
