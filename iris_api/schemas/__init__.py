"""Response schemas (``XPublic`` items, ``XsPublic`` pages): what OpenAPI documents and the API sends."""
