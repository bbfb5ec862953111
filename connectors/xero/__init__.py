"""The Xero back office (Accounting API): items, stock, contacts, invoices, organisation."""
