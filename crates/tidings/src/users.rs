//! `tidings users …`: accounts from the command line, for the first admin and for operators.

use anyhow::{Context, bail};
use chrono::{TimeDelta, Utc};
use tidings_community::{names, password, tokens};
use tidings_core::accounts::{NewUser, OneTimePurpose, Role, User};
use tidings_core::{Config, StoreError};

use crate::cli::UsersCommand;

pub(crate) async fn run(config: &Config, command: UsersCommand) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let accounts = store.accounts();
    match command {
        UsersCommand::Add { name, admin, moderator, email, password_stdin } => {
            let username = names::check_username(&name).map_err(|why| anyhow::anyhow!("user name {name:?}: {why}"))?;
            let (plain, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                let token = tokens::new_token().context("the system gave no random numbers for a password")?;
                (token[..24].to_owned(), true)
            };
            password::check_new(&plain, &username).map_err(|why| anyhow::anyhow!("password: {why}"))?;
            let role = if admin {
                Role::Admin
            } else if moderator {
                Role::Moderator
            } else {
                Role::Reader
            };
            let password_hash = password::hash(&plain).context("hashing the password")?;
            let email = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
            let new_user = NewUser { username, email, password_hash, role, created_at: Utc::now() };
            let user = match accounts.create_user(new_user).await {
                Ok(user) => user,
                Err(StoreError::Duplicate { what, value }) => bail!("{what} {value:?} is taken already"),
                Err(e) => return Err(e).context("storing the account"),
            };
            println!("Made {} ({}), id {}.", user.username, user.role.as_str(), user.id);
            if generated {
                println!("Its password, shown only now: {plain}");
            }
        }
        UsersCommand::List { limit } => {
            let users = accounts.users(limit).await?;
            println!("{:>6}  {:<32}  {:<9}  {:<16}  {:<3}  banned until", "id", "name", "role", "made", "2fa");
            let now = Utc::now();
            for user in &users {
                let banned = user
                    .banned_until
                    .filter(|until| *until > now)
                    .map(|until| until.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default();
                println!(
                    "{:>6}  {:<32}  {:<9}  {:<16}  {:<3}  {banned}",
                    user.id,
                    user.username,
                    user.role.as_str(),
                    user.created_at.format("%Y-%m-%d %H:%M"),
                    if user.totp_enabled { "on" } else { "-" }
                );
            }
            if users.is_empty() {
                println!("(no accounts yet: `tidings users add NAME --admin` makes the first admin)");
            }
        }
        UsersCommand::SetRole { name, role } => {
            let user = find(accounts, &name).await?;
            let Some(role) = Role::parse(&role) else { bail!("role {role:?}: use reader, moderator or admin") };
            accounts.set_role(user.id, role).await?;
            println!("{} is now {}.", user.username, role.as_str());
        }
        UsersCommand::Ban { name, days, lift } => {
            let user = find(accounts, &name).await?;
            if lift {
                accounts.set_ban(user.id, None).await?;
                println!("{} may post again.", user.username);
            } else {
                let days = days.unwrap_or(36_500).clamp(1, 36_500);
                let until = Utc::now() + TimeDelta::days(days);
                accounts.set_ban(user.id, Some(until)).await?;
                println!("{} may not post until {}.", user.username, until.format("%Y-%m-%d %H:%M UTC"));
            }
        }
        UsersCommand::ResetLink { name } => {
            let user = find(accounts, &name).await?;
            let token = tokens::new_token().context("the system gave no random numbers for a link")?;
            let expires = Utc::now() + TimeDelta::days(1);
            accounts
                .create_one_time_token(
                    OneTimePurpose::PasswordReset,
                    &tokens::hash(&token),
                    Some(user.id),
                    None,
                    expires,
                )
                .await?;
            println!("Password reset link for {} (once, for 24 hours):", user.username);
            println!("{}", link(config, &format!("/reset/{token}")));
        }
        UsersCommand::Remove2fa { name } => {
            let user = find(accounts, &name).await?;
            if !user.totp_enabled {
                println!("{} has no second factor; nothing to do.", user.username);
            } else {
                accounts.set_totp(user.id, None).await?;
                println!(
                    "{} signs in with the password alone now, and can set up a new authenticator on the account page.",
                    user.username
                );
            }
        }
        UsersCommand::Token { name, label } => {
            let user = find(accounts, &name).await?;
            let token = tokens::new_token().context("the system gave no random numbers for a token")?;
            let token = format!("tid_{token}");
            accounts.create_api_token(user.id, &tokens::hash(&token), &label, Utc::now()).await?;
            println!("{token}");
        }
        UsersCommand::Invite => {
            let token = tokens::new_token().context("the system gave no random numbers for a link")?;
            let expires = Utc::now() + TimeDelta::days(7);
            accounts.create_one_time_token(OneTimePurpose::Invite, &tokens::hash(&token), None, None, expires).await?;
            println!("Invitation link (once, for 7 days):");
            println!("{}", link(config, &format!("/signup?invite={token}")));
        }
    }
    Ok(())
}

async fn find(accounts: &dyn tidings_core::AccountStore, name: &str) -> anyhow::Result<User> {
    accounts.user_by_name(name).await?.with_context(|| format!("there is no account named {name:?}"))
}

/// A link after `[accounts] public_url`, or the path alone with a note to put the site's address before it.
fn link(config: &Config, path: &str) -> String {
    let base = config.accounts.public_url.trim().trim_end_matches('/');
    if base.is_empty() {
        format!("{path}   (after your site's address; set [accounts] public_url to print whole links)")
    } else {
        format!("{base}{path}")
    }
}
