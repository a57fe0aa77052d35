"""A small invoicing API: clients, invoices, payments and printable invoice documents."""
