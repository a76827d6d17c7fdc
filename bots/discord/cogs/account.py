"""Accounts: ``/login``, ``/logout``, ``/balance``, ``/transfer``."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from horde.bots.discord import errors as bot_errors
from horde.bots.discord.modals import LoginModal

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

KIND_LABELS = {
    "request_tax": "spent on requests",
    "request_charge": "spent on requests",
    "worker_reward": "earned by workers",
    "uptime": "earned by workers",
    "floor_adjustment": "forgiven by the horde",
    "transfer_in": "received",
    "transfer_out": "sent",
    "admin_grant": "granted",
    "rating": "earned rating images",
    "style_reward": "earned by styles",
}


class AccountCog(commands.Cog):
    def __init__(self, bot: HordeBot) -> None:
        self.bot = bot

    @app_commands.command(name="login", description="Link your Horde account with its API key (asked privately).")
    async def account_login(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(LoginModal())

    @app_commands.command(name="logout", description="Forget your linked Horde account and its key.")
    async def account_logout(self, interaction: discord.Interaction[Any]) -> None:
        forgotten = await self.bot.service.discord.logout(str(interaction.user.id))
        text = (
            "Your key is forgotten; you act as your own Discord account again." if forgotten else "Nothing was linked."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="balance", description="Your Horde account: kudos, images, where kudos came from.")
    async def account_balance(self, interaction: discord.Interaction[Any]) -> None:
        actor = await self.bot.actor_for(interaction.user)
        me = await self.bot.service.users.me(actor)
        history = await self.bot.service.kudos.history(actor, limit=500)
        sums: dict[str, float] = defaultdict(float)
        for entry in history:
            sums[KIND_LABELS.get(entry.kind, entry.kind.replace("_", " "))] += entry.amount
        made = sum(1 for e in history if e.kind == "request_tax")
        linked = await self.bot.service.discord.is_linked(str(interaction.user.id))
        embed = discord.Embed(title=me.display_name[:256], colour=discord.Colour.gold())
        embed.add_field(name="Kudos", value=f"{me.kudos:g}")
        embed.add_field(name="Requests made", value=str(made))
        embed.add_field(name="Account", value="linked (/login)" if linked else "your Discord account's own")
        if sums:
            lines = [f"{label}: {amount:+g}" for label, amount in sorted(sums.items(), key=lambda kv: -abs(kv[1]))]
            embed.add_field(name="Where kudos came from", value="\n".join(lines)[:1024], inline=False)
        web = self.bot.settings.web_url
        if web:
            web = web.rstrip("/")
            embed.description = (
                f"On the web: {web}/account (log in with your API key)."
                if linked
                else f"Register at {web}/register, then /login here to use that account, its kudos and its priority."
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="transfer", description="Send kudos to a Horde user (name#id) or a Discord user.")
    @app_commands.describe(amount="Kudos to send", horde_user="A Horde account as name#id", member="A Discord user")
    async def account_transfer(
        self,
        interaction: discord.Interaction[Any],
        amount: app_commands.Range[float, 0.001, 1e9],
        horde_user: app_commands.Range[str, 1, 200] | None = None,
        member: discord.User | None = None,
    ) -> None:
        if (horde_user is None) == (member is None):
            await bot_errors.reply_error(interaction, "⚠️ Give either horde_user or member, not both or neither.")
            return
        actor = await self.bot.actor_for(interaction.user)
        if member is not None:
            gift = await self.bot.service.discord.gift(actor, str(member.id), amount)
            text = (
                f"Sent {gift.amount:g} kudos to {member.mention} ({gift.recipient})."
                if gift.delivered
                else f"{member.mention} has not used the bot yet: {gift.amount:g} kudos wait a week for them."
            )
        else:
            result = await self.bot.service.kudos.transfer(actor, horde_user or "", amount)
            text = f"Sent {result.amount:g} kudos to {horde_user}; you have {result.sender_balance:g} left."
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: HordeBot) -> None:
    await bot.add_cog(AccountCog(bot))
