"""The ERP system API (``/system/erp/v1``): sales orders, invoices and the ERP's view of a
customer, in the canonical model, over the ERP's native XML record services."""
