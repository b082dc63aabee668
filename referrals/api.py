"""The shopper's referrals in the API (/api/v1/referrals/): the same overview as /referrals/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import friend_label, referral_overview


class FriendSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="First name and initial only.")
    status = serializers.CharField()
    joined_at = serializers.DateTimeField()
    earned = serializers.DecimalField(max_digits=12, decimal_places=2)


class ReferralsSerializer(serializers.Serializer):
    code = serializers.CharField()
    share_link = serializers.URLField()
    joined = serializers.IntegerField()
    active = serializers.IntegerField()
    earned = serializers.DecimalField(max_digits=12, decimal_places=2)
    bonus_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    joining_bonus = serializers.DecimalField(max_digits=10, decimal_places=2)
    friends = FriendSerializer(many=True)


class ReferralsView(APIView):
    """The shopper's referral code, share link, friends (latest 100) and earnings."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["account"], responses=ReferralsSerializer)
    def get(self, request):
        o = referral_overview(user=request.user)
        friends = [
            {
                "name": friend_label(r.referred_user),
                "status": r.status,
                "joined_at": r.created_at,
                "earned": r.total_earned,
            }
            for r in o.friends
        ]
        data = {
            "code": o.code,
            "share_link": o.share_link,
            "joined": o.joined,
            "active": o.active,
            "earned": o.earned,
            "bonus_percent": o.bonus_percent,
            "joining_bonus": o.joining_bonus,
            "friends": friends,
        }
        return Response(ReferralsSerializer(data).data)
