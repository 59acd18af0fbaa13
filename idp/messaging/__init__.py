"""Messages to people: e-mail through SMTP, SMS through a gateway, both via the outbox."""
