"""Invoices (made from sales orders) and the customer payments applied to them."""
