"""Safe-mode envelopes of the gateway's passive replies, on the shared message crypto.

The cipher, signatures and Tencent's error codes are `wechat.crypto` (the sandbox
plays WeChat with the same code); this adds the reply envelope the gateway writes and, for
tests and peers, reads.
"""

from __future__ import annotations

from gateway.wechat.messages import MalformedMessage, parse_xml
from gateway.wechat.replies import cdata
from wechat.crypto import InvalidXml, MessageCrypt


class WXBizMsgCrypt(MessageCrypt):
    """One account's message crypto, with the encrypted passive-reply envelope."""

    def encrypt_reply(self, xml: str, *, timestamp: str, nonce: str) -> str:
        """The encrypted passive reply envelope for the reply `xml`."""
        encrypted = self.encrypt(xml)
        return (
            "<xml>"
            f"<Encrypt>{cdata(encrypted)}</Encrypt>"
            f"<MsgSignature>{cdata(self.signature(timestamp, nonce, encrypted))}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce>{cdata(nonce)}</Nonce>"
            "</xml>"
        )

    def decrypt_reply(self, envelope: bytes) -> str:
        """The reply XML inside an encrypted reply envelope, as WeChat reads it."""
        try:
            fields = parse_xml(envelope)
        except MalformedMessage as exc:
            raise InvalidXml(str(exc)) from exc
        values = [fields.get(name) for name in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce")]
        if not all(isinstance(value, str) for value in values):
            raise InvalidXml("reply envelope without Encrypt, MsgSignature, TimeStamp or Nonce")
        encrypted, msg_signature, timestamp, nonce = (str(value) for value in values)
        return self.decrypt_message(
            encrypted, msg_signature=msg_signature, timestamp=timestamp, nonce=nonce
        )
