// sanasprint: a table of contents of the verbs; each lives in Commands/.
using System.CommandLine;
using SanaSprint.Cli.Commands;

var root = new RootCommand("SanaSprint: SANA-Sprint from diffusers checkpoints on ONNX Runtime.");
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(VerifyGoldenCommand.Create());
root.Subcommands.Add(BenchBuildCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(BenchTextCommand.Create());
root.Subcommands.Add(BenchComponentsCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(AuditPrecisionCommand.Create());
root.Subcommands.Add(EmulateFp16Command.Create());
return await root.Parse(args).InvokeAsync();
