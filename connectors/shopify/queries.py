"""The GraphQL documents the connector sends. Each is validated by the emulator against the
real Admin schema of the configured version (tests/connectors/shopify/test_schema.py checks all
of them against every supported version)."""

from __future__ import annotations

#: Our metafields: the source's id (the productSet identifier) and what the product model
#: holds that Shopify has no field for (variant ids, restock date, custom fields).
NAMESPACE = "syncwright"
SOURCE_KEY = "source_id"
EXTRA_KEY = "extra"

PRODUCT_FIELDS = """
  id handle title status updatedAt
  source: metafield(namespace: "syncwright", key: "source_id") { value }
  extra: metafield(namespace: "syncwright", key: "extra") { value }
  variants(first: 20) {
    nodes {
      id sku title position price compareAtPrice
      selectedOptions { name value }
      image { url }
      inventoryItem { id measurement { weight { unit value } } }
    }
  }
"""

PRODUCT_SET = """
mutation ProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id variants(first: 100) { nodes { id sku inventoryItem { id } } } }
    userErrors { field message code }
  }
}
"""


def products_by_source(count: int) -> str:
    """One query reading ``count`` products by our source id, as aliases p0..pN."""
    parts = [
        f'p{i}: productByIdentifier(identifier: {{customId: {{namespace: "{NAMESPACE}", '
        f'key: "{SOURCE_KEY}", value: $v{i}}}}}) {{ ...P }}'
        for i in range(count)
    ]
    params = ", ".join(f"$v{i}: String!" for i in range(count))
    return (
        f"query ProductsBySource({params}) {{\n  " + "\n  ".join(parts) + "\n}\n"
        f"fragment P on Product {{ {PRODUCT_FIELDS} }}\n"
    )


INVENTORY_ITEMS = """
query InventoryItems($query: String!, $first: Int!, $after: String) {
  inventoryItems(first: $first, query: $query, after: $after) {
    nodes {
      id sku
      inventoryLevels(first: 5) {
        nodes { location { id } quantities(names: ["available"]) { name quantity } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

INVENTORY_SET_COMPARE = """
mutation SetStock($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

#: 2026-01+: changeFromQuantity in the input and an idempotency key on the field.
INVENTORY_SET_IDEMPOTENT = """
mutation SetStock($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

INVENTORY_ACTIVATE = """
mutation Activate($item: ID!, $location: ID!) {
  inventoryActivate(inventoryItemId: $item, locationId: $location) {
    inventoryLevel { id }
    userErrors { field message }
  }
}
"""

LOCATIONS = """
query Locations { locations(first: 50) { nodes { id name } } }
"""

SHOP = """
query Shop { shop { name currencyCode } }
"""

ORDER_FIELDS = """
  id legacyResourceId name createdAt updatedAt cancelledAt closed currencyCode
  sourceIdentifier
  currentTotalPriceSet { shopMoney { amount currencyCode } }
  customer { id legacyResourceId firstName lastName defaultEmailAddress { emailAddress } }
  email
  shippingAddress { address1 address2 city zip countryCodeV2 }
  lineItems(first: 10) {
    nodes { id sku title quantity originalUnitPriceSet { shopMoney { amount } } }
  }
  fulfillments(first: 2) {
    id createdAt
    trackingInfo(first: 1) { company number }
    fulfillmentLineItems(first: 10) { nodes { quantity lineItem { sku } } }
  }
"""

ORDERS = f"""
query Orders($first: Int!, $after: String, $query: String, $sortKey: OrderSortKeys!) {{
  orders(first: $first, after: $after, query: $query, sortKey: $sortKey) {{
    nodes {{ {ORDER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

ORDER = f"""
query Order($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}
"""

CUSTOMER_FIELDS = """
  id legacyResourceId firstName lastName updatedAt
  defaultEmailAddress { emailAddress }
  defaultAddress { company address1 address2 city zip countryCodeV2 }
"""

CUSTOMERS = f"""
query Customers($first: Int!, $after: String, $query: String) {{
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ {CUSTOMER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

CUSTOMER_CREATE = """
mutation CustomerCreate($input: CustomerInput!) {
  customerCreate(input: $input) {
    customer { id legacyResourceId }
    userErrors { field message }
  }
}
"""

INVENTORY_ITEM_SKU = """
query ItemSku($id: ID!) { inventoryItem(id: $id) { id sku } }
"""

BULK_RUN_GROUPED = """
mutation Bulk($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_POLL = """
query BulkPoll($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount rootObjectCount url }
  }
}
"""

#: The inner query a bulk product read runs (no first/after: bulk reads everything).
BULK_PRODUCTS = """
{
  products {
    edges {
      node {
        id handle title status updatedAt
        source: metafield(namespace: "syncwright", key: "source_id") { value }
        extra: metafield(namespace: "syncwright", key: "extra") { value }
        variants {
          edges {
            node {
              id sku title position price compareAtPrice
              selectedOptions { name value }
              image { url }
              inventoryItem { id measurement { weight { unit value } } }
            }
          }
        }
      }
    }
  }
}
"""

PRODUCTS_PAGE = f"""
query ProductsPage($first: Int!, $after: String) {{
  products(first: $first, after: $after, sortKey: ID) {{
    nodes {{ {PRODUCT_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

# -- bulk imports (bulk_write.py) -------------------------------------------------------------

#: The mutation a bulk product write runs once per JSONL line. It reads back our source id, so
#: a daemon that finds the operation again after a restart can tell which product each line is.
PRODUCT_SET_BULK = """
mutation ProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product {
      id
      source: metafield(namespace: "syncwright", key: "source_id") { value }
      variants(first: 100) { nodes { id sku inventoryItem { id } } }
    }
    userErrors { field message code }
  }
}
"""

STAGED_UPLOAD = """
mutation Stage($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}
"""

BULK_RUN_MUTATION = """
mutation BulkWrite($mutation: String!, $path: String!, $client: String) {
  bulkOperationRunMutation(
    mutation: $mutation, stagedUploadPath: $path, clientIdentifier: $client, groupObjects: false
  ) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_WRITE_POLL = """
query BulkWritePoll($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount url partialDataUrl }
  }
}
"""

_BULK_FIELDS = "id status type query errorCode objectCount url partialDataUrl"

#: Running bulk mutations from 2026-01 (several may run at once).
BULK_MUTATIONS_RUNNING = (
    "query BulkRunning {\n  bulkOperations(first: 10, reverse: true, "
    'query: "operation_type:mutation") {\n    nodes { ' + _BULK_FIELDS + " }\n  }\n}\n"
)

#: Before 2026-01, one bulk mutation at a time: the current one.
BULK_MUTATION_CURRENT = (
    "query BulkCurrent {\n  currentBulkOperation(type: MUTATION) { " + _BULK_FIELDS + " }\n}\n"
)
