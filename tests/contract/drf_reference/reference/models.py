"""The Django application's shop and iPhone tables (read only, not managed here)."""
from django.db import models


class SecondHandShop(models.Model):
    name = models.CharField(max_length=255)

    class Meta:
        managed = False
        db_table = "AppleStockChecker_secondhandshop"


class Iphone(models.Model):
    part_number = models.CharField(max_length=64)
    model_name = models.CharField(max_length=128)
    capacity_gb = models.IntegerField()
    color = models.CharField(max_length=64)

    class Meta:
        managed = False
        db_table = "AppleStockChecker_iphone"
