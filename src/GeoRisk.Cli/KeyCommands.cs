using System.CommandLine;
using System.Globalization;
using GeoRisk.Api.Security;

namespace GeoRisk.Cli;

/// <summary>georisk keys add|list|revoke: API keys of the HTTP service (stored hashed beside the store).</summary>
internal static class KeyCommands
{
    public static Command Create()
    {
        var store = Commands.StoreOption();
        var name = new Argument<string>("name") { Description = "Who or what uses the key (a person, a QGIS workstation)." };
        var role = new Option<Role>("--role")
        {
            Description = "planner (read), geologist (upload, run zoning) or admin.",
            DefaultValueFactory = _ => Role.Planner,
        };
        var add = new Command("add", "Create a key and print it once.") { name, role, store };
        add.SetAction(parse =>
        {
            var (record, key) = new ApiKeyStore(Path.GetFullPath(parse.GetValue(store)!)).Create(parse.GetValue(name)!, parse.GetValue(role));
            Console.WriteLine($"key {record.Id} for {record.Name} ({record.Role.ToString().ToLowerInvariant()}):");
            Console.WriteLine(key);
            Console.WriteLine("Keep it now: only its hash is stored. Send it as the X-API-Key header.");
            return ExitCodes.Ok;
        });

        var list = new Command("list", "List keys (never the keys themselves).") { store };
        list.SetAction(parse =>
        {
            var table = new TableOutput("id", "name", "role", "created", "revoked");
            foreach (var k in new ApiKeyStore(Path.GetFullPath(parse.GetValue(store)!)).List())
            {
                table.AddRow(k.Id, k.Name, k.Role.ToString().ToLowerInvariant(), k.CreatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                    k.RevokedAt?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-");
            }

            table.Write();
            return ExitCodes.Ok;
        });

        var id = new Argument<string>("id") { Description = "Key id from 'georisk keys list'." };
        var revoke = new Command("revoke", "Revoke a key; a running service refuses it at once.") { id, store };
        revoke.SetAction(parse =>
        {
            if (!new ApiKeyStore(Path.GetFullPath(parse.GetValue(store)!)).Revoke(parse.GetValue(id)!))
            {
                Console.Error.WriteLine($"error: no key '{parse.GetValue(id)}'.");
                return ExitCodes.NotFound;
            }

            Console.WriteLine($"key {parse.GetValue(id)} revoked");
            return ExitCodes.Ok;
        });
        return new Command("keys", "API keys of the HTTP service.") { add, list, revoke };
    }
}
