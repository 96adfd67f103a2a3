"""DynamoDB adapters: the only modules that know the table's item layout."""
