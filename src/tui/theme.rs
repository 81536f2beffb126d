//! Colours. `Theme::default_theme()` for colour terminals; `Theme::no_color()` (when `NO_COLOR`
//! is set) uses only bold / reverse / underline / dim. The config file picks one by
//! [`ThemeName`]; `NO_COLOR` still wins.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// A theme as the config file names it (`theme = "no-color"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThemeName {
    #[default]
    Default,
    NoColor,
}

impl ThemeName {
    /// This theme, unless `NO_COLOR` asks for none (https://no-color.org).
    #[must_use]
    pub fn unless_no_color(self, no_color_env: bool) -> Self {
        if no_color_env {
            ThemeName::NoColor
        } else {
            self
        }
    }
}

/// Every style the views use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub header: Style,
    /// The selection bar, drawn over a row's cells: its colours replace theirs (a green state
    /// on a cyan bar is hard to read), and it undoes `DIM`.
    pub selected: Style,
    pub selected_unfocused: Style,
    pub dim: Style,
    pub key: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub accent: Style,
    /// Filter matches.
    pub highlight: Style,
    pub json_key: Style,
    pub json_string: Style,
    pub json_number: Style,
    pub json_literal: Style,
}

impl Theme {
    /// The colour theme.
    #[must_use]
    pub fn default_theme() -> Self {
        Theme {
            border: Style::new().fg(Color::DarkGray),
            border_focused: Style::new().fg(Color::Cyan),
            title: Style::new().add_modifier(Modifier::BOLD),
            header: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selected: Style::new()
                .bg(Color::Cyan)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD)
                .remove_modifier(Modifier::DIM),
            selected_unfocused: Style::new()
                .bg(Color::DarkGray)
                .fg(Color::White)
                .remove_modifier(Modifier::DIM),
            dim: Style::new().fg(Color::DarkGray),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ok: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            error: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            accent: Style::new().fg(Color::Magenta),
            highlight: Style::new()
                .bg(Color::Yellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            json_key: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            json_string: Style::new().fg(Color::Green),
            json_number: Style::new().fg(Color::Yellow),
            json_literal: Style::new().fg(Color::Magenta),
        }
    }

    /// No colour at all (https://no-color.org).
    #[must_use]
    pub fn no_color() -> Self {
        let plain = Style::new();
        Theme {
            border: plain,
            border_focused: Style::new().add_modifier(Modifier::BOLD),
            title: Style::new().add_modifier(Modifier::BOLD),
            header: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: Style::new()
                .add_modifier(Modifier::REVERSED | Modifier::BOLD)
                .remove_modifier(Modifier::DIM),
            selected_unfocused: Style::new()
                .add_modifier(Modifier::REVERSED)
                .remove_modifier(Modifier::DIM),
            dim: Style::new().add_modifier(Modifier::DIM),
            key: Style::new().add_modifier(Modifier::BOLD),
            ok: plain,
            warn: Style::new().add_modifier(Modifier::BOLD),
            error: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            accent: plain,
            highlight: Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
            json_key: Style::new().add_modifier(Modifier::BOLD),
            json_string: plain,
            json_number: plain,
            json_literal: Style::new().add_modifier(Modifier::ITALIC),
        }
    }

    /// The theme called `name`.
    #[must_use]
    pub fn named(name: ThemeName) -> Self {
        match name {
            ThemeName::Default => Self::default_theme(),
            ThemeName::NoColor => Self::no_color(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_select_themes_and_no_color_wins() {
        assert_eq!(Theme::named(ThemeName::Default), Theme::default_theme());
        assert_eq!(Theme::named(ThemeName::NoColor), Theme::no_color());
        assert_eq!(ThemeName::Default.unless_no_color(true), ThemeName::NoColor);
        assert_eq!(
            ThemeName::NoColor.unless_no_color(false),
            ThemeName::NoColor
        );
    }
}
