"""A Shopify Admin GraphQL emulator, validated against Shopify's published schema (tests only)."""
