"""The CRM system API: customers and their activity history in the canonical model."""
