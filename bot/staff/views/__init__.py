"""Views: a service's typed result rendered as staff-chat replies, in catalog sentences."""
