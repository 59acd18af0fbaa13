"""Chorus Pro (received invoices): structures, their users and technical users whose secrets
expire (seed 002), an invoice API shaped like Chorus Pro's, and its connector."""
