"""Seed a fresh Oscar database: staff user with an API token, a shipping country, the product
class and the partner (warehouse) the connector writes to. Prints the ids as JSON."""

import json
import secrets

from django.contrib.auth import get_user_model
from oscar.apps.address.models import Country
from oscar.apps.catalogue.models import ProductAttribute, ProductClass
from oscar.apps.partner.models import Partner
from rest_framework.authtoken.models import Token

user = get_user_model().objects.create_superuser("admin", "admin@example.com", "admin")
token = Token.objects.create(user=user, key=secrets.token_hex(20))
Country.objects.create(
    iso_3166_1_a2="NL",
    iso_3166_1_a3="NLD",
    iso_3166_1_numeric="528",
    printable_name="Netherlands",
    name="Netherlands",
    is_shipping_country=True,
)
product_class = ProductClass.objects.create(
    name="Goods", slug="goods", requires_shipping=True, track_stock=True
)
# Where the connector keeps what Oscar has no field for (variant title, options, weight, ...).
ProductAttribute.objects.create(
    product_class=product_class, name="Syncwright extra", code="syncwright_extra", type="text"
)
partner = Partner.objects.create(name="Main warehouse", code="main")
print(
    json.dumps(
        {
            "token": token.key,
            "product_class": "goods",
            "partner": partner.code,
            "partner_id": partner.pk,
            "country": "NL",
        }
    )
)
