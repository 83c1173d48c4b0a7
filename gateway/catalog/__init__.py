"""The catalog of APIs behind the gateway, their OpenAPI documents and Swagger UI docs."""
